var Y=globalThis,ee=Y.ShadowRoot&&(Y.ShadyCSS===void 0||Y.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,Se=Symbol(),ke=new WeakMap,Z=class{constructor(n,e,t){if(this._$cssResult$=!0,t!==Se)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=n,this.t=e}get styleSheet(){let n=this.o,e=this.t;if(ee&&n===void 0){let t=e!==void 0&&e.length===1;t&&(n=ke.get(e)),n===void 0&&((this.o=n=new CSSStyleSheet).replaceSync(this.cssText),t&&ke.set(e,n))}return n}toString(){return this.cssText}},Ae=a=>new Z(typeof a=="string"?a:a+"",void 0,Se);var xe=(a,n)=>{if(ee)a.adoptedStyleSheets=n.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of n){let t=document.createElement("style"),s=Y.litNonce;s!==void 0&&t.setAttribute("nonce",s),t.textContent=e.cssText,a.appendChild(t)}},oe=ee?a=>a:a=>a instanceof CSSStyleSheet?(n=>{let e="";for(let t of n.cssRules)e+=t.cssText;return Ae(e)})(a):a;var{is:ct,defineProperty:ht,getOwnPropertyDescriptor:pt,getOwnPropertyNames:ut,getOwnPropertySymbols:mt,getPrototypeOf:gt}=Object,te=globalThis,_e=te.trustedTypes,vt=_e?_e.emptyScript:"",ft=te.reactiveElementPolyfillSupport,I=(a,n)=>a,le={toAttribute(a,n){switch(n){case Boolean:a=a?vt:null;break;case Object:case Array:a=a==null?a:JSON.stringify(a)}return a},fromAttribute(a,n){let e=a;switch(n){case Boolean:e=a!==null;break;case Number:e=a===null?null:Number(a);break;case Object:case Array:try{e=JSON.parse(a)}catch{e=null}}return e}},Me=(a,n)=>!ct(a,n),Te={attribute:!0,type:String,converter:le,reflect:!1,useDefault:!1,hasChanged:Me};Symbol.metadata??=Symbol("metadata"),te.litPropertyMetadata??=new WeakMap;var $=class extends HTMLElement{static addInitializer(n){this._$Ei(),(this.l??=[]).push(n)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(n,e=Te){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(n)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(n,e),!e.noAccessor){let t=Symbol(),s=this.getPropertyDescriptor(n,t,e);s!==void 0&&ht(this.prototype,n,s)}}static getPropertyDescriptor(n,e,t){let{get:s,set:i}=pt(this.prototype,n)??{get(){return this[e]},set(r){this[e]=r}};return{get:s,set(r){let d=s?.call(this);i?.call(this,r),this.requestUpdate(n,d,t)},configurable:!0,enumerable:!0}}static getPropertyOptions(n){return this.elementProperties.get(n)??Te}static _$Ei(){if(this.hasOwnProperty(I("elementProperties")))return;let n=gt(this);n.finalize(),n.l!==void 0&&(this.l=[...n.l]),this.elementProperties=new Map(n.elementProperties)}static finalize(){if(this.hasOwnProperty(I("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(I("properties"))){let e=this.properties,t=[...ut(e),...mt(e)];for(let s of t)this.createProperty(s,e[s])}let n=this[Symbol.metadata];if(n!==null){let e=litPropertyMetadata.get(n);if(e!==void 0)for(let[t,s]of e)this.elementProperties.set(t,s)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let s=this._$Eu(e,t);s!==void 0&&this._$Eh.set(s,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(n){let e=[];if(Array.isArray(n)){let t=new Set(n.flat(1/0).reverse());for(let s of t)e.unshift(oe(s))}else n!==void 0&&e.push(oe(n));return e}static _$Eu(n,e){let t=e.attribute;return t===!1?void 0:typeof t=="string"?t:typeof n=="string"?n.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(n=>this.enableUpdating=n),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(n=>n(this))}addController(n){(this._$EO??=new Set).add(n),this.renderRoot!==void 0&&this.isConnected&&n.hostConnected?.()}removeController(n){this._$EO?.delete(n)}_$E_(){let n=new Map,e=this.constructor.elementProperties;for(let t of e.keys())this.hasOwnProperty(t)&&(n.set(t,this[t]),delete this[t]);n.size>0&&(this._$Ep=n)}createRenderRoot(){let n=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return xe(n,this.constructor.elementStyles),n}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(n=>n.hostConnected?.())}enableUpdating(n){}disconnectedCallback(){this._$EO?.forEach(n=>n.hostDisconnected?.())}attributeChangedCallback(n,e,t){this._$AK(n,t)}_$ET(n,e){let t=this.constructor.elementProperties.get(n),s=this.constructor._$Eu(n,t);if(s!==void 0&&t.reflect===!0){let i=(t.converter?.toAttribute!==void 0?t.converter:le).toAttribute(e,t.type);this._$Em=n,i==null?this.removeAttribute(s):this.setAttribute(s,i),this._$Em=null}}_$AK(n,e){let t=this.constructor,s=t._$Eh.get(n);if(s!==void 0&&this._$Em!==s){let i=t.getPropertyOptions(s),r=typeof i.converter=="function"?{fromAttribute:i.converter}:i.converter?.fromAttribute!==void 0?i.converter:le;this._$Em=s;let d=r.fromAttribute(e,i.type);this[s]=d??this._$Ej?.get(s)??d,this._$Em=null}}requestUpdate(n,e,t,s=!1,i){if(n!==void 0){let r=this.constructor;if(s===!1&&(i=this[n]),t??=r.getPropertyOptions(n),!((t.hasChanged??Me)(i,e)||t.useDefault&&t.reflect&&i===this._$Ej?.get(n)&&!this.hasAttribute(r._$Eu(n,t))))return;this.C(n,e,t)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(n,e,{useDefault:t,reflect:s,wrapped:i},r){t&&!(this._$Ej??=new Map).has(n)&&(this._$Ej.set(n,r??e??this[n]),i!==!0||r!==void 0)||(this._$AL.has(n)||(this.hasUpdated||t||(e=void 0),this._$AL.set(n,e)),s===!0&&this._$Em!==n&&(this._$Eq??=new Set).add(n))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let n=this.scheduleUpdate();return n!=null&&await n,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,i]of this._$Ep)this[s]=i;this._$Ep=void 0}let t=this.constructor.elementProperties;if(t.size>0)for(let[s,i]of t){let{wrapped:r}=i,d=this[s];r!==!0||this._$AL.has(s)||d===void 0||this.C(s,void 0,i,d)}}let n=!1,e=this._$AL;try{n=this.shouldUpdate(e),n?(this.willUpdate(e),this._$EO?.forEach(t=>t.hostUpdate?.()),this.update(e)):this._$EM()}catch(t){throw n=!1,this._$EM(),t}n&&this._$AE(e)}willUpdate(n){}_$AE(n){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(n)),this.updated(n)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(n){return!0}update(n){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(n){}firstUpdated(n){}};$.elementStyles=[],$.shadowRootOptions={mode:"open"},$[I("elementProperties")]=new Map,$[I("finalized")]=new Map,ft?.({ReactiveElement:$}),(te.reactiveElementVersions??=[]).push("2.1.2");var ge=globalThis,qe=a=>a,se=ge.trustedTypes,Ie=se?se.createPolicy("lit-html",{createHTML:a=>a}):void 0,Pe="$lit$",w=`lit$${Math.random().toFixed(9).slice(2)}$`,Oe="?"+w,$t=`<${Oe}>`,S=document,R=()=>S.createComment(""),U=a=>a===null||typeof a!="object"&&typeof a!="function",ve=Array.isArray,yt=a=>ve(a)||typeof a?.[Symbol.iterator]=="function",de=`[ 	
\f\r]`,L=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Le=/-->/g,Re=/>/g,E=RegExp(`>|${de}(?:([^\\s"'>=/]+)(${de}*=${de}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Ue=/'/g,Ce=/"/g,De=/^(?:script|style|textarea|title)$/i,fe=a=>(n,...e)=>({_$litType$:a,strings:n,values:e}),o=fe(1),Jt=fe(2),Wt=fe(3),A=Symbol.for("lit-noChange"),l=Symbol.for("lit-nothing"),Ne=new WeakMap,k=S.createTreeWalker(S,129);function He(a,n){if(!ve(a)||!a.hasOwnProperty("raw"))throw Error("invalid template strings array");return Ie!==void 0?Ie.createHTML(n):n}var bt=(a,n)=>{let e=a.length-1,t=[],s,i=n===2?"<svg>":n===3?"<math>":"",r=L;for(let d=0;d<e;d++){let c=a[d],p,h,u=-1,f=0;for(;f<c.length&&(r.lastIndex=f,h=r.exec(c),h!==null);)f=r.lastIndex,r===L?h[1]==="!--"?r=Le:h[1]!==void 0?r=Re:h[2]!==void 0?(De.test(h[2])&&(s=RegExp("</"+h[2],"g")),r=E):h[3]!==void 0&&(r=E):r===E?h[0]===">"?(r=s??L,u=-1):h[1]===void 0?u=-2:(u=r.lastIndex-h[2].length,p=h[1],r=h[3]===void 0?E:h[3]==='"'?Ce:Ue):r===Ce||r===Ue?r=E:r===Le||r===Re?r=L:(r=E,s=void 0);let b=r===E&&a[d+1].startsWith("/>")?" ":"";i+=r===L?c+$t:u>=0?(t.push(p),c.slice(0,u)+Pe+c.slice(u)+w+b):c+w+(u===-2?d:b)}return[He(a,i+(a[e]||"<?>")+(n===2?"</svg>":n===3?"</math>":"")),t]},C=class a{constructor({strings:n,_$litType$:e},t){let s;this.parts=[];let i=0,r=0,d=n.length-1,c=this.parts,[p,h]=bt(n,e);if(this.el=a.createElement(p,t),k.currentNode=this.el.content,e===2||e===3){let u=this.el.content.firstChild;u.replaceWith(...u.childNodes)}for(;(s=k.nextNode())!==null&&c.length<d;){if(s.nodeType===1){if(s.hasAttributes())for(let u of s.getAttributeNames())if(u.endsWith(Pe)){let f=h[r++],b=s.getAttribute(u).split(w),Q=/([.?@])?(.*)/.exec(f);c.push({type:1,index:i,name:Q[2],strings:b,ctor:Q[1]==="."?he:Q[1]==="?"?pe:Q[1]==="@"?ue:M}),s.removeAttribute(u)}else u.startsWith(w)&&(c.push({type:6,index:i}),s.removeAttribute(u));if(De.test(s.tagName)){let u=s.textContent.split(w),f=u.length-1;if(f>0){s.textContent=se?se.emptyScript:"";for(let b=0;b<f;b++)s.append(u[b],R()),k.nextNode(),c.push({type:2,index:++i});s.append(u[f],R())}}}else if(s.nodeType===8)if(s.data===Oe)c.push({type:2,index:i});else{let u=-1;for(;(u=s.data.indexOf(w,u+1))!==-1;)c.push({type:7,index:i}),u+=w.length-1}i++}}static createElement(n,e){let t=S.createElement("template");return t.innerHTML=n,t}};function T(a,n,e=a,t){if(n===A)return n;let s=t!==void 0?e._$Co?.[t]:e._$Cl,i=U(n)?void 0:n._$litDirective$;return s?.constructor!==i&&(s?._$AO?.(!1),i===void 0?s=void 0:(s=new i(a),s._$AT(a,e,t)),t!==void 0?(e._$Co??=[])[t]=s:e._$Cl=s),s!==void 0&&(n=T(a,s._$AS(a,n.values),s,t)),n}var ce=class{constructor(n,e){this._$AV=[],this._$AN=void 0,this._$AD=n,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(n){let{el:{content:e},parts:t}=this._$AD,s=(n?.creationScope??S).importNode(e,!0);k.currentNode=s;let i=k.nextNode(),r=0,d=0,c=t[0];for(;c!==void 0;){if(r===c.index){let p;c.type===2?p=new N(i,i.nextSibling,this,n):c.type===1?p=new c.ctor(i,c.name,c.strings,this,n):c.type===6&&(p=new me(i,this,n)),this._$AV.push(p),c=t[++d]}r!==c?.index&&(i=k.nextNode(),r++)}return k.currentNode=S,s}p(n){let e=0;for(let t of this._$AV)t!==void 0&&(t.strings!==void 0?(t._$AI(n,t,e),e+=t.strings.length-2):t._$AI(n[e])),e++}},N=class a{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(n,e,t,s){this.type=2,this._$AH=l,this._$AN=void 0,this._$AA=n,this._$AB=e,this._$AM=t,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let n=this._$AA.parentNode,e=this._$AM;return e!==void 0&&n?.nodeType===11&&(n=e.parentNode),n}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(n,e=this){n=T(this,n,e),U(n)?n===l||n==null||n===""?(this._$AH!==l&&this._$AR(),this._$AH=l):n!==this._$AH&&n!==A&&this._(n):n._$litType$!==void 0?this.$(n):n.nodeType!==void 0?this.T(n):yt(n)?this.k(n):this._(n)}O(n){return this._$AA.parentNode.insertBefore(n,this._$AB)}T(n){this._$AH!==n&&(this._$AR(),this._$AH=this.O(n))}_(n){this._$AH!==l&&U(this._$AH)?this._$AA.nextSibling.data=n:this.T(S.createTextNode(n)),this._$AH=n}$(n){let{values:e,_$litType$:t}=n,s=typeof t=="number"?this._$AC(n):(t.el===void 0&&(t.el=C.createElement(He(t.h,t.h[0]),this.options)),t);if(this._$AH?._$AD===s)this._$AH.p(e);else{let i=new ce(s,this),r=i.u(this.options);i.p(e),this.T(r),this._$AH=i}}_$AC(n){let e=Ne.get(n.strings);return e===void 0&&Ne.set(n.strings,e=new C(n)),e}k(n){ve(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,t,s=0;for(let i of n)s===e.length?e.push(t=new a(this.O(R()),this.O(R()),this,this.options)):t=e[s],t._$AI(i),s++;s<e.length&&(this._$AR(t&&t._$AB.nextSibling,s),e.length=s)}_$AR(n=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);n!==this._$AB;){let t=qe(n).nextSibling;qe(n).remove(),n=t}}setConnected(n){this._$AM===void 0&&(this._$Cv=n,this._$AP?.(n))}},M=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(n,e,t,s,i){this.type=1,this._$AH=l,this._$AN=void 0,this.element=n,this.name=e,this._$AM=s,this.options=i,t.length>2||t[0]!==""||t[1]!==""?(this._$AH=Array(t.length-1).fill(new String),this.strings=t):this._$AH=l}_$AI(n,e=this,t,s){let i=this.strings,r=!1;if(i===void 0)n=T(this,n,e,0),r=!U(n)||n!==this._$AH&&n!==A,r&&(this._$AH=n);else{let d=n,c,p;for(n=i[0],c=0;c<i.length-1;c++)p=T(this,d[t+c],e,c),p===A&&(p=this._$AH[c]),r||=!U(p)||p!==this._$AH[c],p===l?n=l:n!==l&&(n+=(p??"")+i[c+1]),this._$AH[c]=p}r&&!s&&this.j(n)}j(n){n===l?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,n??"")}},he=class extends M{constructor(){super(...arguments),this.type=3}j(n){this.element[this.name]=n===l?void 0:n}},pe=class extends M{constructor(){super(...arguments),this.type=4}j(n){this.element.toggleAttribute(this.name,!!n&&n!==l)}},ue=class extends M{constructor(n,e,t,s,i){super(n,e,t,s,i),this.type=5}_$AI(n,e=this){if((n=T(this,n,e,0)??l)===A)return;let t=this._$AH,s=n===l&&t!==l||n.capture!==t.capture||n.once!==t.once||n.passive!==t.passive,i=n!==l&&(t===l||s);s&&this.element.removeEventListener(this.name,this,t),i&&this.element.addEventListener(this.name,this,n),this._$AH=n}handleEvent(n){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,n):this._$AH.handleEvent(n)}},me=class{constructor(n,e,t){this.element=n,this.type=6,this._$AN=void 0,this._$AM=e,this.options=t}get _$AU(){return this._$AM._$AU}_$AI(n){T(this,n)}};var wt=ge.litHtmlPolyfillSupport;wt?.(C,N),(ge.litHtmlVersions??=[]).push("3.3.3");var Fe=(a,n,e)=>{let t=e?.renderBefore??n,s=t._$litPart$;if(s===void 0){let i=e?.renderBefore??null;t._$litPart$=s=new N(n.insertBefore(R(),i),i,void 0,e??{})}return s._$AI(a),s};var $e=globalThis,v=class extends ${constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let n=super.createRenderRoot();return this.renderOptions.renderBefore??=n.firstChild,n}update(n){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(n),this._$Do=Fe(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return A}};v._$litElement$=!0,v.finalized=!0,$e.litElementHydrateSupport?.({LitElement:v});var Et=$e.litElementPolyfillSupport;Et?.({LitElement:v});($e.litElementVersions??=[]).push("4.2.2");var y=Object.freeze({NOT_LINKED:"NOT_LINKED",NOT_PAIRED:"NOT_PAIRED",AGENT_TIMEOUT:"AGENT_TIMEOUT",INVALID_REQUEST:"INVALID_REQUEST",UNAVAILABLE:"UNAVAILABLE"});var Ke=3,kt="clawdbot-control-ui",St="control-ui-2";function x(){let a=crypto.getRandomValues(new Uint8Array(16));a[6]=a[6]&15|64,a[8]=a[8]&63|128;let n=[...a].map(e=>e.toString(16).padStart(2,"0")).join("");return`${n.slice(0,8)}-${n.slice(8,12)}-${n.slice(12,16)}-${n.slice(16,20)}-${n.slice(20)}`}var q=class extends Error{constructor(n){super(n?.message||"request failed"),this.code=n?.code||y.UNAVAILABLE,this.details=n?.details,this.retryable=!!n?.retryable,this.retryAfterMs=n?.retryAfterMs}},At=300,xt=1e4,_t=750,Be=3e4,ie=class extends EventTarget{constructor(e,t){super();this.url=e;this.instanceId=t;this.state="idle";this.hello=null;this.attempt=0;this.lastError="";this.ws=null;this.pending=new Map;this.auth=null;this.lastSeq=null;this.lastTick=0;this.nextDelayHint=0;this.stopped=!1}start(e){this.auth=e,this.stopped=!1,this.attempt=0,clearTimeout(this.retryTimer),this.state==="unauthorized"&&(this.state="idle"),this.ws?this.ws.close(1e3,"reconnecting"):this.open()}stop(){this.stopped=!0,clearTimeout(this.retryTimer),this.ws&&this.ws.close(1e3,"bye"),this.setState("idle")}setState(e,t={}){this.state=e,this.emit("state",{state:e,...t})}emit(e,t){this.dispatchEvent(new CustomEvent(e,{detail:t}))}open(){this.setState("connecting",{attempt:this.attempt});let e;try{e=new WebSocket(this.url)}catch(r){this.lastError=String(r),this.scheduleReconnect();return}this.ws=e;let t=!1,s,i=()=>{t||e.readyState!==WebSocket.OPEN||(t=!0,clearTimeout(s),this.connect(e))};e.onopen=()=>{s=setTimeout(i,_t)},e.onmessage=r=>{let d;try{d=JSON.parse(r.data)}catch{return}if(d?.type==="event"&&d.event==="connect.challenge"){i();return}this.onFrame(d)},e.onerror=()=>{this.lastError="connection error"},e.onclose=r=>{if(clearTimeout(s),this.ws===e){this.ws=null,clearInterval(this.watchdog);for(let[,d]of this.pending)clearTimeout(d.timer),d.reject(new q({code:y.UNAVAILABLE,message:"disconnected",retryable:!0}));this.pending.clear(),r.reason&&(this.lastError=`${r.code} ${r.reason}`),!(this.state==="unauthorized"||this.stopped)&&(this.setState("disconnected",{code:r.code,reason:r.reason||this.lastError}),this.scheduleReconnect())}}}async connect(e){let t={minProtocol:Ke,maxProtocol:Ke,client:{id:kt,displayName:"Control UI",version:St,platform:navigator.platform||"web",mode:"webchat",instanceId:this.instanceId},role:"operator",scopes:["operator.admin","operator.approvals","operator.pairing"],caps:[],userAgent:navigator.userAgent,locale:navigator.language};this.auth?.token&&(t.auth={token:this.auth.token}),this.auth?.password&&(t.auth={password:this.auth.password});try{let s=await this.send(e,"connect",t,Be);this.hello=s,this.attempt=0,this.nextDelayHint=0,this.lastSeq=null,this.lastTick=Date.now();let i=s?.policy?.tickIntervalMs||3e4;clearInterval(this.watchdog),this.watchdog=setInterval(()=>{Date.now()-this.lastTick>2*i&&this.ws===e&&e.close(4e3,"tick timeout")},1e3),this.setState("connected"),this.emit("hello",s)}catch(s){let i=s,r=i.message||String(i);if(!i.retryable&&/^unauthorized|device identity required|secure context/i.test(r)){this.lastError=r,this.setState("unauthorized",{reason:r}),e.close(1e3,"unauthorized");return}i.retryAfterMs&&(this.nextDelayHint=i.retryAfterMs),this.lastError=r,e.close(1e3,"connect failed")}}scheduleReconnect(){clearTimeout(this.retryTimer);let e=Math.min(xt,At*2**this.attempt),t=Math.max(this.nextDelayHint,Math.round(e*(.5+Math.random()/2)));this.nextDelayHint=0,this.attempt++,this.emit("retry",{delay:t,attempt:this.attempt}),this.retryTimer=setTimeout(()=>this.open(),t)}onFrame(e){if(this.emit("frame",e),e?.type==="res"){let s=this.pending.get(e.id);if(!s)return;this.pending.delete(e.id),clearTimeout(s.timer),e.ok?s.resolve(e.payload):s.reject(new q(e.error));return}if(e?.type!=="event")return;typeof e.seq=="number"&&(this.lastSeq!==null&&e.seq>this.lastSeq+1&&this.emit("gap",{expected:this.lastSeq+1,received:e.seq}),this.lastSeq=e.seq),e.event==="tick"&&(this.lastTick=Date.now()),e.event==="shutdown"&&e.payload?.restartExpectedMs&&(this.nextDelayHint=e.payload.restartExpectedMs);let t={event:e.event,payload:e.payload,stateVersion:e.stateVersion,seq:e.seq};this.emit("event",t)}send(e,t,s,i){return new Promise((r,d)=>{let c=x(),p=setTimeout(()=>{this.pending.delete(c),d(new q({code:y.UNAVAILABLE,message:`${t}: timed out`,retryable:!0}))},i);this.pending.set(c,{resolve:r,reject:d,timer:p}),e.send(JSON.stringify({type:"req",id:c,method:t,params:s}))})}request(e,t={},s=Be){return this.state!=="connected"||!this.ws?Promise.reject(new q({code:y.UNAVAILABLE,message:"not connected",retryable:!0})):this.send(this.ws,e,t,s)}supports(e){let t=this.hello?.features?.methods;return!Array.isArray(t)||t.includes(e)}};var m=class extends v{constructor(){super(...arguments);this.active=!1;this.errors=new Map}createRenderRoot(){return this}connected(){}disconnected(){}onEvent(e){}shown(){}setError(e,t){t?this.errors.set(e,t):this.errors.delete(e),this.requestUpdate()}errorLine(e){let t=this.errors.get(e);if(!t)return l;let s=t.code===y.UNAVAILABLE;return o`<p id="${e}-error" class="error ${s?"soft":""}" role="alert">${t.message}</p>`}async call(e,t,s={}){try{let i=await this.gw.request(t,s);return this.setError(e,null),i}catch(i){this.setError(e,i);return}}};function g(a,n=Date.now()){if(!a)return"—";let e=Math.max(0,Math.round((n-a)/1e3));if(e<5)return"just now";if(e<60)return`${e}s ago`;let t=Math.round(e/60);if(t<60)return`${t}m ago`;let s=Math.round(t/60);return s<48?`${s}h ago`:`${Math.round(s/24)}d ago`}function ne(a){if(a==null)return"—";let n=Math.floor(a/1e3),e=Math.floor(n/86400),t=Math.floor(n%86400/3600),s=Math.floor(n%3600/60);return e?`${e}d ${t}h`:t?`${t}h ${s}m`:s?`${s}m ${n%60}s`:`${n}s`}function _(a){return a?new Date(a).toLocaleString():"—"}function re(a){if(a==null)return"";if(typeof a=="string")return a;let n=a.content??a.text;return typeof n=="string"?n:Array.isArray(n)?n.filter(e=>e&&(e.type==="text"||typeof e.text=="string")).map(e=>e.text??"").join(""):""}function Ve(a){try{let n=JSON.parse(a);if(n&&typeof n=="object"){let{time:e,level:t,msg:s,...i}=n,r=e?new Date(e).toLocaleTimeString():"",d=Object.entries(i).map(([c,p])=>`${c}=${typeof p=="string"?p:JSON.stringify(p)}`).join(" ");return{text:`${r} ${String(t||"").padEnd(5)} ${s??""}${d?"  "+d:""}`,level:String(t||"").toLowerCase()}}}catch{}return{text:a,level:""}}var P=class extends m{constructor(){super(...arguments);this.health=null;this.healthVersion=0;this.presence=[];this.presenceVersion=0;this.nodes=[];this.pending=[];this.uptimeBase=null;this.busy=new Set;this.pairErrors=new Map}applyHello(e){this.healthVersion=0,this.presenceVersion=0,this.applyHealth(e?.health,e?.stateVersion?.health),this.applyPresence(e?.presence,e?.stateVersion?.presence),this.uptimeBase=e?.uptimeMs!=null?{ms:e.uptimeMs,at:Date.now()}:null}connected(){this.refreshHealth(),this.refreshPresence(),this.refreshNodes()}onEvent(e){let t=e.payload;switch(e.event){case"health":this.applyHealth(t,e.stateVersion?.health);break;case"presence":this.applyPresence(t?.presence,e.stateVersion?.presence);break;case"node.pair.requested":t&&!this.pending.some(s=>s.requestId===t.requestId)&&(this.pending=[t,...this.pending],this.requestUpdate());break;case"node.pair.resolved":this.pending=this.pending.filter(s=>s.requestId!==t?.requestId),this.requestUpdate(),this.refreshNodes();break}}async refreshHealth(){let e=await this.call("health","health");e&&this.applyHealth(e,null)}async refreshPresence(){let e=await this.call("presence","system-presence");e&&this.applyPresence(e,null)}async refreshNodes(){try{let[e,t]=await Promise.all([this.gw.request("node.list"),this.gw.request("node.pair.list")]),s=e?.nodes??[],i=new Set(s.map(r=>r.nodeId));for(let r of t?.paired??[])i.has(r.nodeId)||s.push({...r,paired:!0,connected:!1});this.nodes=s,this.pending=t?.pending??[],this.setError("nodes",null)}catch(e){this.setError("nodes",e)}}applyHealth(e,t){if(!(!e||typeof e!="object"||!("ok"in e))){if(t!=null){if(t<this.healthVersion)return;this.healthVersion=t}this.health=e,this.setError("health",null)}}applyPresence(e,t){if(Array.isArray(e)){if(t!=null){if(t<this.presenceVersion)return;this.presenceVersion=t}this.presence=e,this.setError("presence",null)}}async decide(e,t){this.busy.add(t),this.pairErrors.delete(t),this.requestUpdate();try{await this.gw.request(e,{requestId:t}),this.pending=this.pending.filter(s=>s.requestId!==t),this.refreshNodes()}catch(s){this.pairErrors.set(t,s.message)}this.busy.delete(t),this.requestUpdate()}render(){let e=this.health,t=e?.uptimeMs??(this.uptimeBase?this.uptimeBase.ms+(Date.now()-this.uptimeBase.at):null),s=(i,r,d="")=>o`<dt>${i}</dt><dd class=${d}>${r}</dd>`;return o`<div class="grid">
      <section id="health-card" class="card" aria-labelledby="health-title">
        <h2 id="health-title">Health <span id="health-badge" class="badge" data-ok=${String(!!e?.ok)}>${e?e.ok?"ok":"degraded":""}</span></h2>
        ${this.errorLine("health")}
        <dl id="health" class="kv">
          ${e?o`${s("Status",e.ok?"healthy":"degraded",e.ok?"good":"bad")} ${s("Uptime",ne(t))}
              ${s("WhatsApp",e.web?.linked?"linked":"not linked",e.web?.linked?"good":"muted")}
              ${s("Telegram",e.telegram?.configured?"configured":"not configured",e.telegram?.configured?"good":"muted")}
              ${s("Sessions",String(e.sessions?.count??0))} ${e.connections!=null?s("Connections",String(e.connections)):l}
              ${s("Heartbeat",e.heartbeatSeconds?`every ${e.heartbeatSeconds}s`:"off")}
              ${e.config&&typeof e.config=="object"?s("Config",e.config.ok?"ok":e.config.error||"invalid",e.config.ok?"good":"bad"):l}
              ${s("Checked",g(e.ts))}`:l}
        </dl>
      </section>

      <section id="nodes-card" class="card" aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        ${this.errorLine("nodes")}
        <h3>Pending pairing <span id="pending-count" class="count">${this.pending.length}</span></h3>
        <p id="pending-empty" class="muted" ?hidden=${this.pending.length>0}>No node is waiting for approval.</p>
        <ul id="pending" class="pending">
          ${this.pending.map(i=>{let r=this.busy.has(i.requestId),d=this.pairErrors.get(i.requestId),c=i.displayName||i.nodeId;return o`<li class="pending-item" data-request-id=${i.requestId} data-node-id=${i.nodeId}>
              <div class="grow">
                <strong>${c}</strong>${i.isRepair?o`<span class="tag">repair</span>`:l}
                <div class="sub">${[i.platform,i.version,i.remoteIp,g(i.ts)].filter(Boolean).join(" · ")}</div>
                ${d?o`<div class="note error" role="alert">${d}</div>`:l}
              </div>
              <button class="primary approve" ?disabled=${r} aria-label="Approve ${c}" @click=${()=>this.decide("node.pair.approve",i.requestId)}>Approve</button>
              <button class="danger reject" ?disabled=${r} aria-label="Reject ${c}" @click=${()=>this.decide("node.pair.reject",i.requestId)}>Reject</button>
            </li>`})}
        </ul>
        <h3>Known nodes</h3>
        <p id="nodes-empty" class="muted" ?hidden=${this.nodes.length>0}>No paired or connected nodes.</p>
        <div class="scroll">
          <table id="nodes" class="table">
            <tbody>
              ${this.nodes.map(i=>o`<tr data-node-id=${i.nodeId}>
                  <td><strong>${i.displayName||i.nodeId}</strong><div class="sub mono">${i.nodeId}</div></td>
                  <td>${[i.platform,i.version].filter(Boolean).join(" · ")||"—"}</td>
                  <td><span class="dot ${i.connected?"on":"off"}"></span>${i.connected?"connected":"offline"}</td>
                  <td>${i.paired?"paired":"unpaired"}</td>
                  <td class="sub">${(i.caps||[]).join(", ")||"—"}</td>
                </tr>`)}
            </tbody>
          </table>
        </div>
      </section>

      <section id="presence-card" class="card wide" aria-labelledby="presence-title">
        <h2 id="presence-title">Instances <span id="presence-count" class="count">${this.presence.length}</span></h2>
        ${this.errorLine("presence")}
        <div class="scroll">
          <table id="presence" class="table">
            <thead><tr><th>Host</th><th>Mode</th><th>Platform</th><th>Version</th><th>Address</th><th>Reason</th><th>Seen</th></tr></thead>
            <tbody>
              ${this.presence.map(i=>o`<tr class=${i.reason==="disconnect"?"gone":""}>
                  <td><strong>${i.host||i.instanceId||"—"}</strong>${i.text?o`<div class="sub">${i.text}</div>`:l}</td>
                  <td>${i.mode||"—"}</td>
                  <td>${[i.platform,i.deviceFamily].filter(Boolean).join(" · ")||"—"}</td>
                  <td>${i.version||"—"}</td>
                  <td>${i.ip||"local"}</td>
                  <td>${i.reason||"—"}</td>
                  <td title=${i.ts?new Date(i.ts).toISOString():""}>${g(i.ts)}</td>
                </tr>`)}
            </tbody>
          </table>
        </div>
      </section>
    </div>`}};customElements.define("cb-overview",P);function ze(a){if(!a||a.eligible)return[];let n=[];a.disabled&&n.push("disabled in skills.entries"),a.blockedByAllowlist&&n.push("not in skills.allowBundled");let e=a.missing||{},t=s=>Array.isArray(s)?s.filter(Boolean):[];return t(e.bins).length&&n.push(`missing binary: ${t(e.bins).join(", ")}`),t(e.anyBins).length&&n.push(`needs one of: ${t(e.anyBins).join(", ")}`),t(e.env).length&&n.push(`missing env: ${t(e.env).join(", ")}`),t(e.config).length&&n.push(`config not set: ${t(e.config).join(", ")}`),t(e.os).length&&n.push(`only on: ${t(e.os).join(", ")}`),n.length||n.push("not eligible"),n}function Ge(a){let n=a.trim();if(n)try{return JSON.parse(n)}catch(e){throw new Error(`params are not valid JSON: ${e.message}`)}}var Tt=4e3;function O(a,n=Tt){let e;if(a==null)e="";else if(typeof a=="string")e=a;else if(typeof a=="object"&&Array.isArray(a.content))e=a.content.map(t=>typeof t?.text=="string"?t.text:t?.type==="image"?"[image]":JSON.stringify(t)).join(`
`);else try{e=JSON.stringify(a,null,2)}catch{e=String(a)}return e.length>n&&(e=e.slice(0,n)+`… (${e.length-n} more characters)`),e}function Je(a){let n=/^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(a);return n?{mimeType:n[1],content:n[2]}:null}var je=5e6,ae=8;function We(a,n){let e=a.name||"the file";return(a.type||"").startsWith("image/")?a.size>je?`${e} is larger than ${je/1e6} MB`:a.size===0?`${e} is empty`:n>=ae?`at most ${ae} images per message`:"":`${e} is not an image`}function Xe(a,n){let e={},t=r=>(r??"").trim(),s=t(a.label);if(s.length>64)throw new Error("the label is longer than 64 characters");s!==(n?.label??"")&&(e.label=s||null);let i=t(a.model);return i!==ye(n)&&i!==(n?.model??"")&&(e.model=i||null),t(a.thinking)!==(n?.thinkingLevel??"")&&(e.thinkingLevel=t(a.thinking)||null),t(a.verbose)!==(n?.verboseLevel??"")&&(e.verboseLevel=t(a.verbose)||null),e}function ye(a){return a?.model?a.modelProvider&&!String(a.model).includes("/")?`${a.modelProvider}/${a.model}`:String(a.model):""}function Qe(a,n){let e={},t=(a.name??"").trim();if(!t)throw new Error("a name is required");if(t!==n?.name&&(e.name=t),a.every!=null&&n?.schedule?.kind==="every"){let s=Number(a.every);if(!(s>0))throw new Error("the interval must be a positive number of minutes");let i=Math.round(s*6e4);i!==n.schedule.everyMs&&(e.schedule={kind:"every",everyMs:i})}if(a.expr!=null&&n?.schedule?.kind==="cron"){let s=a.expr.trim();if(!s)throw new Error("a cron expression is required");let i=(a.tz??"").trim();(s!==n.schedule.expr||i!==(n.schedule.tz??""))&&(e.schedule={kind:"cron",expr:s,...i?{tz:i}:{}})}if(a.text!=null){let s=a.text.trim();if(!s)throw new Error("the text is required");let i=n?.payload||{};i.kind==="agentTurn"&&s!==i.message&&(e.payload={kind:"agentTurn",message:s}),i.kind==="systemEvent"&&s!==i.text&&(e.payload={kind:"systemEvent",text:s})}return e}var Mt=200,Ye=500,qt=50,It=100,D=class extends m{constructor(){super(...arguments);this.sessionKey="main";this.msgs=[];this.runs=new Map;this.status="";this.statusError=!1;this.draft="";this.sessions=[];this.attachments=[];this.attachError=""}setSession(e){this.sessionKey=e||"main",this.requestUpdate()}connected(){for(let e of this.activeRuns())this.finish(e,"error","connection lost during the reply");this.loadHistory(),this.active&&this.loadSessions()}shown(){this.loadSessions()}disconnected(){this.requestUpdate()}async loadSessions(){try{let e=await this.gw.request("sessions.list",{limit:It,includeDerivedTitles:!0});this.sessions=e?.sessions??[],this.requestUpdate()}catch{this.sessions=[]}}async switchSession(e){e!==this.sessionKey&&(this.sessionKey=e,this.msgs=[],this.runs.clear(),this.requestUpdate(),await this.loadHistory())}async loadHistory(){let e=this.sessionKey;try{let t=await this.gw.request("chat.history",{sessionKey:e,limit:Mt});if(e!==this.sessionKey)return;t?.sessionKey&&(this.sessionKey=t.sessionKey),this.msgs=[],this.runs.clear();let s=new Map;for(let i of t?.messages??[]){if(i?.role==="toolResult"){let h=s.get(i.toolCallId);h&&(h.result={content:i.content},h.isError=!!i.isError,h.done=!0);continue}let r=i?.role==="user"?"user":i?.role==="assistant"?"assistant":"system",d=re(i),c=[],p=[];if(Array.isArray(i?.content))for(let h of i.content){if(h?.type==="toolCall"&&h.id){let u={id:h.id,name:h.name||"tool",args:h.arguments,done:!1};s.set(h.id,u),c.push(u)}h?.type==="image"&&typeof h.data=="string"&&/^image\//.test(h.mimeType||"")&&p.push(`data:${h.mimeType};base64,${h.data}`)}(d||c.length||p.length)&&this.msgs.push({role:r,text:d,tools:c.length?c:void 0,images:p.length?p:void 0})}this.setStatus("")}catch(t){this.setStatus(`Chat history unavailable: ${t.message}`,!1)}}setStatus(e,t=!1){this.status=e,this.statusError=t,this.requestUpdate()}activeRuns(){return[...this.runs.values()].filter(e=>e.state==="pending"||e.state==="streaming")}push(e){this.msgs.push(e),this.msgs.length>Ye&&this.msgs.splice(0,this.msgs.length-Ye)}async send(){let e=this.querySelector("#chat-input"),t=e.value.trim(),s=this.attachments;if(!t&&!s.length||this.gw.state!=="connected")return;e.value="",this.draft="",this.attachments=[],this.attachError="",this.push({role:"user",text:t,images:s.length?s.map(c=>c.dataUrl):void 0});let i=x(),r={role:"assistant",text:"",runId:i,state:"pending"};this.push(r),this.runs.set(i,r),this.requestUpdate();let d={sessionKey:this.sessionKey,message:t,idempotencyKey:i};s.length&&(d.attachments=s.map(c=>({type:"image",mimeType:c.mimeType,fileName:c.name,content:c.content})));try{await this.gw.request("chat.send",d)}catch(c){this.finish(r,"error",c.message)}}async abort(){for(let e of this.activeRuns())try{await this.gw.request("chat.abort",{sessionKey:this.sessionKey,runId:e.runId})}catch(t){this.setStatus(`abort failed: ${t.message}`,!0)}}addFiles(e){let t=0;this.attachError="";for(let s of e){let i=We(s,this.attachments.length+t);if(i){this.attachError=i;continue}t++;let r=new FileReader;r.onload=()=>{let d=String(r.result||""),c=Je(d);c?this.attachments.length<ae&&(this.attachments=[...this.attachments,{name:s.name||"image",dataUrl:d,...c}]):this.attachError=`${s.name||"the image"} could not be read`,this.requestUpdate()},r.onerror=()=>{this.attachError=`${s.name||"the image"} could not be read`,this.requestUpdate()},r.readAsDataURL(s)}this.requestUpdate()}onPaste(e){let t=[...e.clipboardData?.files??[]].filter(s=>s.type.startsWith("image/"));t.length&&(e.preventDefault(),this.addFiles(t))}onEvent(e){if(e.event==="agent")return this.onAgent(e.payload);if(e.event!=="chat")return;let t=e.payload;if(!t||t.sessionKey!==this.sessionKey&&!this.runs.has(t.runId))return;let s=this.runFor(t.runId);if(!(s.state==="final"||s.state==="error"||s.state==="aborted")){switch(t.state){case"delta":{let i=re(t.message);i.length>=s.text.length&&(s.text=i),s.state="streaming";break}case"final":{let i=re(t.message);i&&(s.text=i),this.finish(s,"final");break}case"error":this.finish(s,"error",t.errorMessage||"the run failed");break;case"aborted":this.finish(s,"aborted","stopped");break}this.requestUpdate()}}runFor(e){let t=this.runs.get(e);return t||(t={role:"assistant",text:"",runId:e,state:"pending"},this.push(t),this.runs.set(e,t)),t}onAgent(e){if(!e||e.stream!=="tool"||!e.data||!this.runs.has(e.runId)&&(!e.sessionKey||e.sessionKey!==this.sessionKey))return;let t=this.runFor(e.runId),s=e.data,i=String(s.toolCallId||"");if(!i)return;t.tools??=[];let r=t.tools.find(d=>d.id===i);if(!r){if(t.tools.length>=qt)return;r={id:i,name:String(s.name||"tool"),done:!1},t.tools.push(r)}s.phase==="start"?r.args=s.args:s.phase==="update"?r.partial=s.partialResult:s.phase==="result"&&(r.result=s.result,r.isError=!!s.isError,r.done=!0),t.state==="pending"&&(t.state="streaming"),this.requestUpdate()}finish(e,t,s){e.state=t,e.note=s,this.requestUpdate()}updated(){let e=this.querySelector("#chat-log");e&&(e.scrollTop=e.scrollHeight)}onKey(e){e.key==="Enter"&&!e.shiftKey&&!e.isComposing&&(e.preventDefault(),this.send())}toolCard(e){let t=e.done?e.result:e.partial;return o`<details class="tool-card ${e.done?e.isError?"failed":"done":"running"}" data-tool-call-id=${e.id} data-tool=${e.name}>
      <summary><span class="tool-name mono">${e.name}</span>
        <span class="tool-state">${e.done?e.isError?"failed":"done":"running…"}</span></summary>
      <div class="sub">Input</div><pre class="tool-args out">${O(e.args)||"—"}</pre>
      ${t!==void 0?o`<div class="sub">${e.done?"Result":"Output so far"}</div><pre class="tool-result out">${O(t)}</pre>`:l}
    </details>`}render(){let e=this.activeRuns().length>0,s=this.sessions.map(i=>i.key).includes(this.sessionKey)?this.sessions:[{key:this.sessionKey},...this.sessions];return o`<section id="chat-card" class="card" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat <small id="chat-session" class="mono muted">${this.sessionKey}</small>
        <span class="spacer"></span>
        <label class="inline picker"><span class="visually-hidden">Session</span>
          <select id="chat-session-picker" @change=${i=>this.switchSession(i.target.value)}>
            ${s.map(i=>o`<option value=${i.key} ?selected=${i.key===this.sessionKey}>${i.displayName||i.derivedTitle||i.label||i.key}</option>`)}
          </select></label></h2>
      <div id="chat-log" class="chat-log" aria-live="polite" role="log" tabindex="0">
        ${this.msgs.map(i=>o`<div class="msg ${i.role} ${i.state??""}" data-run-id=${i.runId??l}>
            <div class="who">${i.role}</div>
            ${i.images?.length?o`<div class="msg-images">${i.images.map(r=>o`<img class="msg-image" src=${r} alt="attached image">`)}</div>`:l}
            ${i.tools?.length?o`<div class="tool-cards">${i.tools.map(r=>this.toolCard(r))}</div>`:l}
            <div class="text">${i.text}</div>
            ${i.note?o`<div class="note ${i.state==="error"?"error":""}">${i.note}</div>`:l}
          </div>`)}
      </div>
      <p id="chat-status" class="${this.statusError?"error":"muted"}">${this.status}</p>
      ${this.attachments.length?o`<ul id="chat-attachments" class="attachments plain">
            ${this.attachments.map((i,r)=>o`<li class="attachment"><img src=${i.dataUrl} alt=${i.name}>
                <button type="button" class="ghost remove-attachment" aria-label="Remove ${i.name}"
                  @click=${()=>(this.attachments=this.attachments.filter((d,c)=>c!==r),this.requestUpdate())}>✕</button></li>`)}
          </ul>`:l}
      ${this.attachError?o`<p id="chat-attach-error" class="error" role="alert">${this.attachError}</p>`:l}
      <form id="chat-form" class="chat-form" @submit=${i=>(i.preventDefault(),this.send())}>
        <label class="grow"><span class="visually-hidden">Message</span>
          <textarea id="chat-input" rows="2" .value=${this.draft} @input=${i=>this.draft=i.target.value}
            @keydown=${this.onKey} @paste=${this.onPaste} placeholder="Message the agent (Enter to send, Shift+Enter for a new line)"></textarea>
        </label>
        <label class="attach-label" title="Attach images"><span aria-hidden="true">Image</span><span class="visually-hidden">Attach images</span>
          <input id="chat-attach" type="file" accept="image/*" multiple class="visually-hidden"
            @change=${i=>{let r=i.target;this.addFiles([...r.files??[]]),r.value=""}}></label>
        <button id="chat-send" type="submit" class="primary" ?disabled=${this.gw?.state!=="connected"}>Send</button>
        <button id="chat-abort" type="button" class="danger" ?hidden=${!e} @click=${()=>this.abort()}>Stop</button>
      </form>
    </section>`}};customElements.define("cb-chat",D);var Lt=2e3,Ze=1e3,H=class extends m{constructor(){super(...arguments);this.cursor=null;this.lines=[];this.file="";this.follow=!0}connected(){clearTimeout(this.timer),this.cursor=null,this.lines=[],this.poll()}disconnected(){clearTimeout(this.timer)}async poll(){if(clearTimeout(this.timer),this.gw.state!=="connected")return;let e={limit:200,maxBytes:25e4};this.cursor!=null&&(e.cursor=this.cursor);try{let t=await this.gw.request("logs.tail",e);t.reset&&(this.lines=[]),this.cursor=t.cursor,this.file=t.file||"";for(let s of t.lines??[])this.lines.push(Ve(s));this.lines.length>Ze&&this.lines.splice(0,this.lines.length-Ze),this.setError("logs",null)}catch(t){this.setError("logs",t);let s=t;if(s.code!==y.UNAVAILABLE||/no log file/.test(s.message))return}this.gw.state==="connected"&&(this.timer=setTimeout(()=>this.poll(),Lt))}updated(){let e=this.querySelector("#logs");e&&this.follow&&(e.scrollTop=e.scrollHeight)}render(){return o`<section id="logs-card" class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs <small id="logs-file" class="mono muted">${this.file}</small></h2>
      <label class="inline"><input id="logs-follow" type="checkbox" .checked=${this.follow} @change=${e=>this.follow=e.target.checked}> follow</label>
      ${this.errorLine("logs")}
      <div id="logs" class="logs mono" role="log" tabindex="0">${this.lines.map(e=>o`<div class="line ${e.level}">${e.text}</div>`)}</div>
    </section>`}};customElements.define("cb-logs",H);var Rt=["off","minimal","low","medium","high","xhigh"],Ut=["off","on","full"],Ct=2e3,Nt=12,F=class extends m{constructor(){super(...arguments);this.mainKey="";this.rows=[];this.path="";this.armed="";this.notice="";this.editing="";this.preview=null;this.models=[];this.lastRefresh=0;this.timer=null}connected(){this.active&&this.refresh()}shown(){this.refresh(),this.loadModels()}onEvent(e){if(e.event!=="chat"||!this.active||!["final","error","aborted"].includes(e.payload?.state))return;let t=this.lastRefresh+Ct-Date.now();t<=0?this.refresh():this.timer||(this.timer=setTimeout(()=>(this.timer=null,void this.refresh()),t))}async loadModels(){try{this.models=(await this.gw.request("models.list",{}))?.models??[],this.requestUpdate()}catch{this.models=[]}}async save(e,t){e.preventDefault();let s=Object.fromEntries(new FormData(e.target).entries()),i;try{i=Xe(s,t)}catch(d){this.setError("session-edit",{message:d.message,code:"INVALID_REQUEST"});return}if(!Object.keys(i).length){this.notice="Nothing changed.",this.requestUpdate();return}await this.call("session-edit","sessions.patch",{key:t.key,...i})&&(this.notice=`Session ${t.key} was updated (${Object.keys(i).join(", ")}).`,this.editing=""),await this.refresh()}async toggleEditor(e){if(this.editing=this.editing===e?"":e,this.preview=null,this.requestUpdate(),!this.editing)return;let s=(await this.call("session-edit","sessions.preview",{keys:[e],limit:Nt}))?.previews?.[0];s&&this.editing===e&&(this.preview={key:e,status:s.status,items:s.items??[]}),this.requestUpdate()}async compact(e){let t=await this.call("session-edit","sessions.compact",{key:e});t&&(this.notice=t.compacted?`Session ${e} was compacted (${t.kept??"?"} messages kept).`:`Nothing to compact${t.reason?`: ${t.reason}`:""}.`),await this.refresh()}async refresh(){this.lastRefresh=Date.now();let e=await this.call("sessions","sessions.list",{limit:200,includeDerivedTitles:!0});e&&(this.rows=e.sessions??[],this.path=e.path??"",this.requestUpdate())}async act(e,t){let s=`${e}:${t}`;if(this.armed!==s){this.armed=s,this.requestUpdate();return}this.armed="",await this.call("sessions",e==="reset"?"sessions.reset":"sessions.delete",{key:t})&&(this.notice=e==="reset"?`Session ${t} was reset.`:`Session ${t} was deleted.`),await this.refresh()}editor(e){let t=ye(e),s=this.preview;return o`<tr class="session-editor" data-editor-for=${e.key}><td colspan="6">
      ${s&&s.key===e.key?o`<div class="session-preview"><h3>Last messages</h3>
            ${s.items.length?o`<ul class="plain">${s.items.map(i=>o`<li class="preview-item ${i.role}"><span class="tag">${i.role}</span> ${i.text}</li>`)}</ul>`:o`<p class="muted">${s.status==="missing"?"No transcript yet.":"Nothing to show."}</p>`}</div>`:l}
      <form class="form-grid session-form" @submit=${i=>this.save(i,e)}>
        <label>Label <input name="label" maxlength="64" .value=${e.label??""} placeholder="none"></label>
        <label>Model <input name="model" list="session-models" .value=${t} placeholder="configured default"></label>
        <datalist id="session-models">${this.models.map(i=>o`<option value="${i.provider}/${i.id}">${i.name??i.id}</option>`)}</datalist>
        <label>Thinking <select name="thinking">
          <option value="" ?selected=${!e.thinkingLevel}>default</option>
          ${Rt.map(i=>o`<option value=${i} ?selected=${e.thinkingLevel===i}>${i}</option>`)}</select></label>
        <label>Verbose <select name="verbose">
          <option value="" ?selected=${!e.verboseLevel}>default</option>
          ${Ut.map(i=>o`<option value=${i} ?selected=${e.verboseLevel===i}>${i}</option>`)}</select></label>
        <div class="row">
          <button type="submit" class="primary save">Save</button>
          <button type="button" class="compact" aria-label="Compact ${e.key}" @click=${()=>this.compact(e.key)}>Compact transcript</button>
          <button type="button" class="ghost" @click=${()=>(this.editing="",this.requestUpdate())}>Close</button>
        </div>
      </form></td></tr>`}render(){let e=(t,s)=>{let i=this.armed===`${t}:${s}`,r=t==="delete"&&s===this.mainKey;return o`<button class="${t==="delete"?"danger":""} ${t}" data-key=${s} aria-label="${i?"Confirm ":""}${t} ${s}"
        ?disabled=${r} title=${r?"The main session cannot be deleted; reset it instead.":""}
        @click=${()=>this.act(t,s)}>${i?`Confirm ${t}`:t==="reset"?"Reset":"Delete"}</button>`};return o`<section id="sessions-card" class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions <span class="count">${this.rows.length}</span>
        <span class="spacer"></span><button id="sessions-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      <p class="sub mono">${this.path}</p>
      ${this.errorLine("sessions")}
      ${this.notice?o`<p class="muted" role="status">${this.notice}</p>`:l}
      ${this.errorLine("session-edit")}
      <p class="muted" ?hidden=${this.rows.length>0}>No sessions yet.</p>
      <div class="scroll">
        <table id="sessions" class="table">
          <thead><tr><th>Session</th><th>Kind</th><th>Model</th><th>Tokens</th><th>Updated</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.rows.map(t=>o`<tr data-key=${t.key}>
                <td><strong>${t.displayName||t.derivedTitle||t.label||t.key}</strong><div class="sub mono">${t.key}</div>
                  ${t.label||t.thinkingLevel||t.verboseLevel?o`<div class="sub session-settings">${[t.label?`label ${t.label}`:"",t.thinkingLevel?`thinking ${t.thinkingLevel}`:"",t.verboseLevel?`verbose ${t.verboseLevel}`:""].filter(Boolean).join(" · ")}</div>`:l}
                  ${t.lastMessagePreview?o`<div class="sub">${t.lastMessagePreview}</div>`:l}</td>
                <td>${t.kind||"—"}${t.channel?o`<div class="sub">${t.channel}</div>`:l}</td>
                <td>${t.model||"—"}</td>
                <td>${t.totalTokens??"—"}</td>
                <td>${g(t.updatedAt)}</td>
                <td class="actions"><button class="edit" aria-label="Edit ${t.key}" aria-expanded=${String(this.editing===t.key)}
                  @click=${()=>this.toggleEditor(t.key)}>Edit</button>
                  ${e("reset",t.key)} ${e("delete",t.key)}</td>
              </tr>
              ${this.editing===t.key?this.editor(t):l}`)}
          </tbody>
        </table>
      </div>
    </section>`}};customElements.define("cb-sessions",F);function et(a){if(!a)return"—";if(a.kind==="cron")return`cron ${a.expr}${a.tz?` (${a.tz})`:""}`;if(a.kind==="every"){let n=a.everyMs;return n%36e5===0?`every ${n/36e5}h`:n%6e4===0?`every ${n/6e4}m`:`every ${Math.round(n/1e3)}s`}return a.kind==="at"?`at ${_(a.atMs)}`:JSON.stringify(a)}function tt(a){let n=(a.name||"").trim();if(!n)throw new Error("a name is required");let e;switch(a.scheduleKind){case"every":{let i=Number(a.every);if(!(i>0))throw new Error("the interval must be a positive number of minutes");e={kind:"every",everyMs:Math.round(i*6e4)};break}case"at":{let i=Date.parse(a.at);if(Number.isNaN(i))throw new Error("the time is not a valid date");e={kind:"at",atMs:i};break}default:if(!a.expr?.trim())throw new Error("a cron expression is required");e={kind:"cron",expr:a.expr.trim(),...a.tz?.trim()?{tz:a.tz.trim()}:{}}}let t=(a.text||"").trim();if(!t)throw new Error("the text is required");let s=a.payloadKind==="agentTurn";return{name:n,enabled:!0,schedule:e,sessionTarget:s?"isolated":"main",wakeMode:a.wakeMode==="now"?"now":"next-heartbeat",payload:s?{kind:"agentTurn",message:t}:{kind:"systemEvent",text:t}}}var K=class extends m{constructor(){super(...arguments);this.jobs=[];this.runsFor="";this.runs=[];this.formError="";this.scheduleKind="every";this.notice="";this.busy=new Set;this.editing="";this.editError=""}connected(){this.active&&this.refresh()}shown(){this.refresh()}onEvent(e){e.event!=="cron"||!this.active||(this.refresh(),this.runsFor&&e.payload?.jobId===this.runsFor&&this.loadRuns(this.runsFor))}async refresh(){let e=await this.call("cron","cron.list",{includeDisabled:!0});e&&(this.jobs=e.jobs??[],this.requestUpdate())}async loadRuns(e){this.runsFor=e;let t=await this.call("cron-runs","cron.runs",{id:e,limit:50});this.runs=t?.entries??[],this.requestUpdate()}async add(e){e.preventDefault();let t=e.target,s=Object.fromEntries(new FormData(t).entries()),i;try{i=tt(s)}catch(d){this.formError=d.message,this.requestUpdate();return}this.formError="",await this.call("cron-add","cron.add",i)&&(t.reset(),this.scheduleKind="every",this.notice=`Added ${i.name}.`,await this.refresh())}async run(e){this.busy.add(e),this.requestUpdate();let t=await this.call("cron","cron.run",{id:e,mode:"force"});this.busy.delete(e),t&&(this.notice=t.ran?"The job ran.":`The job did not run${t.reason?`: ${t.reason}`:""}.`),await this.refresh(),await this.loadRuns(e)}async setEnabled(e,t){this.busy.add(e.id),this.requestUpdate();let s=await this.call("cron","cron.update",{id:e.id,patch:{enabled:t}});this.busy.delete(e.id),s&&(this.notice=`${e.name} ${t?"enabled":"disabled"}.`),await this.refresh()}async saveEdit(e,t){e.preventDefault();let s=Object.fromEntries(new FormData(e.target).entries()),i;try{i=Qe(s,t)}catch(d){this.editError=d.message,this.requestUpdate();return}if(this.editError="",!Object.keys(i).length){this.editing="",this.notice="Nothing changed.",this.requestUpdate();return}await this.call("cron-edit","cron.update",{id:t.id,patch:i})&&(this.editing="",this.notice=`Saved ${i.name??t.name}.`),await this.refresh()}editor(e){let t=e.schedule||{},s=e.payload?.kind==="agentTurn"?e.payload.message:e.payload?.text;return o`<tr class="cron-editor" data-editor-for=${e.id}><td colspan="5">
      <form class="form-grid cron-edit" @submit=${i=>this.saveEdit(i,e)}>
        <label>Name <input name="name" class="edit-name" required maxlength="200" .value=${e.name??""}></label>
        ${t.kind==="every"?o`<label>Minutes <input name="every" class="edit-every" type="number" min="0.1" step="any" .value=${String(t.everyMs/6e4)}></label>`:l}
        ${t.kind==="cron"?o`<label>Expression <input name="expr" .value=${t.expr??""}></label><label>Time zone <input name="tz" .value=${t.tz??""}></label>`:l}
        ${s!=null?o`<label>Text <input name="text" class="edit-text" .value=${s}></label>`:l}
        <div class="row"><button type="submit" class="primary save">Save</button>
          <button type="button" class="ghost" @click=${()=>(this.editing="",this.editError="",this.requestUpdate())}>Cancel</button></div>
        ${this.editError?o`<p class="error" role="alert">${this.editError}</p>`:l}
        ${this.errorLine("cron-edit")}
      </form></td></tr>`}async removeJob(e){let t=await this.call("cron","cron.remove",{id:e});t&&(this.notice=t.removed?"Removed.":"The job was already gone."),this.runsFor===e&&(this.runsFor=""),await this.refresh()}render(){let e=this.jobs.find(t=>t.id===this.runsFor);return o`<section id="cron-card" class="card" aria-labelledby="cron-title">
      <h2 id="cron-title">Cron jobs <span class="count">${this.jobs.length}</span>
        <span class="spacer"></span><button id="cron-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("cron")}
      ${this.notice?o`<p id="cron-notice" class="muted" role="status">${this.notice}</p>`:l}
      <p class="muted" ?hidden=${this.jobs.length>0}>No jobs.</p>
      <div class="scroll">
        <table id="cron-jobs" class="table">
          <thead><tr><th>Job</th><th>Schedule</th><th>Next</th><th>Last</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.jobs.map(t=>o`<tr data-job-id=${t.id} class=${t.enabled?"":"gone"}>
                <td><strong>${t.name}</strong><div class="sub">${t.payload?.kind==="agentTurn"?`agent: ${t.payload.message}`:t.payload?.text}</div></td>
                <td>${et(t.schedule)}${t.enabled?l:o`<div class="sub">disabled</div>`}</td>
                <td>${_(t.state?.nextRunAtMs)}</td>
                <td>${t.state?.lastStatus??"—"}<div class="sub">${g(t.state?.lastRunAtMs)}</div></td>
                <td class="actions">
                  <button class="run primary" ?disabled=${this.busy.has(t.id)} aria-label="Run ${t.name} now" @click=${()=>this.run(t.id)}>Run now</button>
                  <button class="runs" aria-label="Run history of ${t.name}" @click=${()=>this.loadRuns(t.id)}>Runs</button>
                  <button class="edit" aria-label="Edit ${t.name}" aria-expanded=${String(this.editing===t.id)}
                    @click=${()=>(this.editing=this.editing===t.id?"":t.id,this.editError="",this.requestUpdate())}>Edit</button>
                  <button class="toggle" ?disabled=${this.busy.has(t.id)} aria-label="${t.enabled?"Disable":"Enable"} ${t.name}"
                    @click=${()=>this.setEnabled(t,!t.enabled)}>${t.enabled?"Disable":"Enable"}</button>
                  <button class="remove danger" aria-label="Remove ${t.name}" @click=${()=>this.removeJob(t.id)}>Remove</button>
                </td>
              </tr>
              ${this.editing===t.id?this.editor(t):l}`)}
          </tbody>
        </table>
      </div>
      ${this.runsFor?o`<h3>Runs of ${e?.name??this.runsFor}</h3>
            ${this.errorLine("cron-runs")}
            <p class="muted" ?hidden=${this.runs.length>0}>No runs yet.</p>
            <ul id="cron-runs" class="plain">
              ${this.runs.map(t=>o`<li class="run-entry ${t.status}">${_(t.runAtMs??t.ts)} — <strong>${t.status??t.action}</strong>
                ${t.durationMs!=null?` (${t.durationMs} ms)`:""} ${t.error?o`<span class="error">${t.error}</span>`:""} ${t.summary??""}</li>`)}
            </ul>`:l}
    </section>
    <section id="cron-add-card" class="card" aria-labelledby="cron-add-title">
      <h2 id="cron-add-title">Add a job</h2>
      <form id="cron-add" class="form-grid" @submit=${this.add}>
        <label>Name <input name="name" id="cron-name" required maxlength="200"></label>
        <label>Schedule
          <select name="scheduleKind" id="cron-kind" @change=${t=>(this.scheduleKind=t.target.value,this.requestUpdate())}>
            <option value="every">every N minutes</option><option value="cron">cron expression</option><option value="at">once, at a time</option>
          </select></label>
        ${this.scheduleKind==="every"?o`<label>Minutes <input name="every" id="cron-every" type="number" min="0.1" step="any" value="60"></label>`:l}
        ${this.scheduleKind==="cron"?o`<label>Expression <input name="expr" id="cron-expr" placeholder="0 7 * * *"></label><label>Time zone <input name="tz" id="cron-tz" placeholder="Europe/Berlin"></label>`:l}
        ${this.scheduleKind==="at"?o`<label>At <input name="at" id="cron-at" type="datetime-local"></label>`:l}
        <label>Does
          <select name="payloadKind" id="cron-payload">
            <option value="systemEvent">system event in the main session</option><option value="agentTurn">agent turn in its own session</option>
          </select></label>
        <label>Text <input name="text" id="cron-text" required></label>
        <label>Wake <select name="wakeMode" id="cron-wake"><option value="next-heartbeat">at the next heartbeat</option><option value="now">now</option></select></label>
        <div><button id="cron-add-submit" type="submit" class="primary">Add job</button></div>
        ${this.formError?o`<p class="error" role="alert">${this.formError}</p>`:l}
        ${this.errorLine("cron-add")}
      </form>
    </section>`}};customElements.define("cb-cron",K);var B=class extends m{constructor(){super(...arguments);this.items=[];this.resolved=[];this.busy=new Set;this.onCount=()=>{}}connectedCallback(){super.connectedCallback(),this.clock=setInterval(()=>this.expire(),1e3)}disconnectedCallback(){super.disconnectedCallback(),clearInterval(this.clock)}expire(){let e=Date.now(),t=this.items.length;this.items=this.items.filter(s=>!s.expiresAtMs||s.expiresAtMs>e),this.items.length!==t&&this.onCount(this.items.length),this.items.length&&this.requestUpdate()}onEvent(e){let t=e.payload;if(e.event==="exec.approval.requested"&&t?.id)this.items.some(s=>s.id===t.id)||(this.items=[...this.items,t]);else if(e.event==="exec.approval.resolved"&&t?.id){let s=this.items.find(i=>i.id===t.id);this.items=this.items.filter(i=>i.id!==t.id),s&&this.remember(s,t.decision,t.resolvedBy)}else return;this.onCount(this.items.length),this.requestUpdate()}remember(e,t,s){this.resolved.some(i=>i.id===e.id)||(this.resolved=[{id:e.id,command:e.request?.command,decision:t,by:s},...this.resolved].slice(0,20))}async resolve(e,t){this.busy.add(e),this.requestUpdate();let s=await this.call("approvals","exec.approval.resolve",{id:e,decision:t});if(this.busy.delete(e),s){let i=this.items.find(r=>r.id===e);this.items=this.items.filter(r=>r.id!==e),i&&this.remember(i,t,"you"),this.onCount(this.items.length)}this.requestUpdate()}render(){let e=Date.now();return o`<section id="approvals-card" class="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">Exec approvals <span id="approvals-count" class="count">${this.items.length}</span></h2>
      ${this.errorLine("approvals")}
      <p class="muted" ?hidden=${this.items.length>0}>No command is waiting for approval. Prompts appear here live.</p>
      <ul id="approvals" class="pending">
        ${this.items.map(t=>{let s=t.request??{},i=this.busy.has(t.id),r=t.expiresAtMs?Math.max(0,Math.round((t.expiresAtMs-e)/1e3)):null;return o`<li class="pending-item approval" data-approval-id=${t.id}>
            <div class="grow">
              <code class="cmd">${s.command}</code>
              <div class="sub">${[s.host&&`on ${s.host}`,s.cwd&&`in ${s.cwd}`,s.agentId&&`agent ${s.agentId}`,s.sessionKey,s.security&&`security ${s.security}`].filter(Boolean).join(" · ")}</div>
              ${r!=null?o`<div class="sub">expires in ${r}s</div>`:l}
            </div>
            <div class="btns" role="group" aria-label="Answer for ${s.command}">
              <button class="primary allow-once" ?disabled=${i} @click=${()=>this.resolve(t.id,"allow-once")}>Allow once</button>
              <button class="allow-always" ?disabled=${i} @click=${()=>this.resolve(t.id,"allow-always")}>Always allow</button>
              <button class="danger deny" ?disabled=${i} @click=${()=>this.resolve(t.id,"deny")}>Deny</button>
            </div>
          </li>`})}
      </ul>
      ${this.resolved.length?o`<h3>Recently answered</h3>
            <ul id="approvals-done" class="plain">
              ${this.resolved.map(t=>o`<li data-approval-id=${t.id}><code>${t.command}</code> — ${t.decision}${t.by?` (by ${t.by})`:""}</li>`)}
            </ul>`:l}
    </section>`}};customElements.define("cb-approvals",B);var be=null;function Pt(a){be=a}var V=class extends m{constructor(){super(...arguments);this.snap=null;this.raw="";this.dirty=!1;this.notice="";this.issues=[]}connected(){this.active&&!this.dirty&&this.load()}shown(){this.dirty||this.load()}async load(){let e=await this.call("config","config.get");e&&(this.snap=e,this.raw=e.raw??"",this.dirty=!1,this.issues=e.issues??[],this.errors.delete("config-save"),this.requestUpdate())}async save(e=this.raw){let t={raw:e};this.snap?.hash&&(t.baseHash=this.snap.hash);try{return await this.gw.request("config.set",t),this.setError("config-save",null),this.notice="Saved; the gateway reloads the config.",this.issues=[],await this.load(),!0}catch(s){let i=s.details;return this.issues=Array.isArray(i?.issues)?i.issues:[],this.setError("config-save",s),!1}}render(){let e=this.snap;return o`<section id="config-card" class="card" aria-labelledby="config-title">
      <h2 id="config-title">Config <small class="mono muted">${e?.path??""}</small></h2>
      ${this.errorLine("config")}
      ${e?o`<p class="sub">${e.exists?"":"The file does not exist yet. "}${e.valid?"valid":"invalid"}${this.dirty?" · unsaved changes":""}</p>`:l}
      <div id="config-form-slot">${be&&e?be({config:e.config,schemaAvailable:this.gw.supports("config.schema"),apply:t=>this.save(t)}):l}</div>
      <label for="config-raw">Raw file (JSON5)</label>
      <textarea id="config-raw" class="mono code" rows="24" spellcheck="false" .value=${this.raw}
        @input=${t=>(this.raw=t.target.value,this.dirty=!0,this.requestUpdate())}></textarea>
      <div class="row">
        <button id="config-save" class="primary" ?disabled=${!this.dirty} @click=${()=>this.save()}>Save</button>
        <button id="config-reload" @click=${()=>this.load()}>${this.dirty?"Discard and reload":"Reload"}</button>
      </div>
      ${this.notice?o`<p class="muted" role="status">${this.notice}</p>`:l}
      ${this.errorLine("config-save")}
      ${this.issues.length?o`<ul id="config-issues" class="plain error">${this.issues.map(t=>o`<li><code>${t.path??""}</code> ${t.message??JSON.stringify(t)}</li>`)}</ul>`:l}
    </section>`}};customElements.define("cb-config",V);var Ot=200,j=class extends m{constructor(){super(...arguments);this.result="";this.resultOk=!0;this.events=[];this.filter="";this.showTicks=!1}onEvent(e){e.event==="tick"&&!this.showTicks||(this.events=[{at:Date.now(),ev:e},...this.events].slice(0,Ot),this.active&&this.requestUpdate())}shown(){this.requestUpdate()}async invoke(e){e.preventDefault();let t=this.querySelector("#debug-method").value.trim(),s=this.querySelector("#debug-params").value.trim(),i={};try{s&&(i=JSON.parse(s))}catch(r){this.resultOk=!1,this.result=`params are not JSON: ${r.message}`,this.requestUpdate();return}try{let r=await this.gw.request(t,i);this.resultOk=!0,this.result=JSON.stringify(r,null,2)}catch(r){let d=r;this.resultOk=!1,this.result=JSON.stringify({code:d.code,message:d.message,details:d.details},null,2)}this.requestUpdate()}render(){let e=this.gw?.hello?.features?.methods??[],t=this.events.filter(s=>!this.filter||s.ev.event.includes(this.filter));return o`<section id="debug-call-card" class="card" aria-labelledby="debug-title">
        <h2 id="debug-title">Call a method</h2>
        <form id="debug-form" @submit=${this.invoke}>
          <label>Method <input id="debug-method" list="debug-methods" value="health" autocomplete="off" spellcheck="false"></label>
          <datalist id="debug-methods">${e.map(s=>o`<option value=${s}></option>`)}</datalist>
          <label>Params (JSON) <textarea id="debug-params" class="mono" rows="4" spellcheck="false">{}</textarea></label>
          <button id="debug-call" type="submit" class="primary">Call</button>
        </form>
        <pre id="debug-result" class="logs mono ${this.resultOk?"":"error"}" tabindex="0" aria-live="polite">${this.result}</pre>
      </section>
      <section id="debug-events-card" class="card" aria-labelledby="debug-events-title">
        <h2 id="debug-events-title">Events <span class="count">${this.events.length}</span></h2>
        <div class="row">
          <label class="inline">Filter <input id="debug-filter" .value=${this.filter} @input=${s=>(this.filter=s.target.value,this.requestUpdate())}></label>
          <label class="inline"><input type="checkbox" .checked=${this.showTicks} @change=${s=>this.showTicks=s.target.checked}> ticks</label>
          <button class="ghost" @click=${()=>(this.events=[],this.requestUpdate())}>Clear</button>
        </div>
        <ol id="debug-events" class="logs mono plain" tabindex="0">
          ${t.map(s=>o`<li><strong>${s.ev.event}</strong> <span class="sub">#${s.ev.seq??"-"} ${new Date(s.at).toLocaleTimeString()}</span> ${JSON.stringify(s.ev.payload)?.slice(0,400)}</li>`)}
        </ol>
      </section>`}};customElements.define("cb-debug",j);var Dt=15e3,st=3e4,Ht=1500,z=class extends m{constructor(){super(...arguments);this.st=null;this.probing=!1;this.qr="";this.loginMsg="";this.loginBusy=!1;this.linked=!1;this.loginGen=0;this.armedLogout=!1;this.lastRefresh=0;this.refreshTimer=null}connected(){this.active&&this.refresh(!1)}shown(){this.refresh(!1)}disconnected(){this.loginGen++,this.loginBusy=!1,this.requestUpdate()}onEvent(e){if(e.event!=="health"||!this.active)return;let t=this.lastRefresh+Ht-Date.now();t<=0?this.refresh(!1):this.refreshTimer||(this.refreshTimer=setTimeout(()=>(this.refreshTimer=null,void this.refresh(!1)),t))}async refresh(e){this.lastRefresh=Date.now(),e&&(this.probing=!0,this.requestUpdate());let t=await this.call("channels","channels.status",e?{probe:!0,timeoutMs:8e3}:{});this.probing=!1,t&&(this.st=t,this.linked=!!t.whatsapp?.linked),this.requestUpdate()}async startLogin(e){let t=++this.loginGen;this.loginBusy=!0,this.armedLogout=!1,this.qr="",this.loginMsg="Asking the gateway for a QR code…",this.requestUpdate();let s=await this.call("wa-login","web.login.start",{force:e,timeoutMs:st});if(t===this.loginGen){if(!s){this.loginBusy=!1,this.loginMsg="",this.requestUpdate();return}if(this.loginMsg=s.message||"",this.qr=s.qrDataUrl||"",this.requestUpdate(),!this.qr){this.loginBusy=!1,this.refresh(!1);return}await this.waitLoop(t)}}async waitLoop(e){for(;e===this.loginGen&&this.gw.state==="connected";){let t=await this.call("wa-login","web.login.wait",{timeoutMs:Dt});if(e!==this.loginGen)return;if(!t)break;if(this.loginMsg=t.message||"",t.connected){this.qr="",this.linked=!0,this.loginMsg=t.message&&t.message!=="linked"?t.message:"Linked. WhatsApp is connecting.";break}if(!/waiting/i.test(t.message||"")){this.qr="";break}let s=await this.call("wa-login","web.login.start",{force:!1,timeoutMs:st});if(e!==this.loginGen)return;s?.qrDataUrl&&(this.qr=s.qrDataUrl),this.requestUpdate()}e===this.loginGen&&(this.loginBusy=!1),this.requestUpdate(),this.refresh(!1)}cancelLogin(){this.loginGen++,this.loginBusy=!1,this.qr="",this.loginMsg="Stopped waiting (the code stays valid on the gateway until it expires).",this.requestUpdate()}async logout(){if(!this.armedLogout){this.armedLogout=!0,this.requestUpdate();return}this.armedLogout=!1,this.loginGen++,this.qr="";let e=!!this.gw.hello?.features?.methods?.includes("channels.logout"),t=await this.call("wa-login",e?"channels.logout":"web.logout",e?{channel:"whatsapp"}:{});t&&(this.loginMsg=t.cleared?"Unlinked: the credentials were removed.":"Nothing to unlink."),this.linked=!1,await this.refresh(!1)}render(){let e=this.st?.whatsapp,t=this.st?.telegram,s=(r,d,c="")=>o`<dt>${r}</dt><dd class=${c}>${d??"—"}</dd>`,i=t?.probe;return o`<div class="grid">
      <section id="wa-card" class="card" aria-labelledby="wa-title">
        <h2 id="wa-title">WhatsApp
          <span id="wa-badge" class="badge" data-ok=${String(!!e?.connected)}>${e?e.connected?"connected":e.linked?"linked":"not linked":""}</span>
          <span class="spacer"></span><button id="channels-refresh" class="ghost" @click=${()=>this.refresh(!1)}>Refresh</button></h2>
        ${this.errorLine("channels")}
        ${e?o`<dl id="wa-status" class="kv">
              ${s("Configured",e.configured?"yes":"no")}
              ${s("Linked",e.linked?"yes":"no",e.linked?"good":"muted")}
              ${s("Connected",e.connected?"yes":"no",e.connected?"good":e.linked?"bad":"muted")}
              ${e.self?s("Number",e.self.e164||e.self.jid):l}
              ${e.authAgeMs!=null?s("Linked for",ne(e.authAgeMs)):l}
              ${e.lastError?s("Last error",e.lastError,"bad"):l}
            </dl>`:l}
        <div class="row">
          <button id="wa-link" class="primary" ?disabled=${this.loginBusy} @click=${()=>this.startLogin(this.linked)}>${this.linked?"Relink (new QR)":"Show QR code"}</button>
          <button id="wa-cancel" ?hidden=${!this.loginBusy} @click=${this.cancelLogin}>Stop waiting</button>
          <button id="wa-logout" class="danger" ?hidden=${!this.linked} @click=${this.logout}>${this.armedLogout?"Confirm unlink":"Unlink"}</button>
        </div>
        ${this.errorLine("wa-login")}
        <p id="wa-login-status" class="muted" role="status" aria-live="polite">${this.loginMsg}</p>
        ${this.qr?o`<figure class="qr"><img id="wa-qr" src=${this.qr} alt="WhatsApp link QR code: scan it in WhatsApp → Settings → Linked devices" width="264" height="264">
              <figcaption class="sub">Open WhatsApp on the phone → Settings → Linked devices → Link a device, and scan.</figcaption></figure>`:l}
      </section>

      <section id="tg-card" class="card" aria-labelledby="tg-title">
        <h2 id="tg-title">Telegram
          <span id="tg-badge" class="badge" data-ok=${String(!!t?.running&&!t?.lastError)}>${t?t.configured?t.running?"running":"stopped":"not configured":""}</span>
          <span class="spacer"></span><button id="channels-probe" ?disabled=${this.probing} @click=${()=>this.refresh(!0)}>${this.probing?"Probing…":"Probe"}</button></h2>
        ${t?o`<dl id="tg-status" class="kv">
              ${s("Configured",t.configured?"yes":"no")}
              ${s("Running",t.running?"yes":"no",t.running?"good":"muted")}
              ${t.mode?s("Mode",t.mode):l}
              ${t.botUsername?s("Bot","@"+t.botUsername):l}
              ${t.lastError?s("Last error",t.lastError,"bad"):l}
            </dl>`:l}
        ${i?o`<h3>Probe</h3><dl id="tg-probe" class="kv">
              ${s("Result",i.ok?"ok":i.error||"failed",i.ok?"good":"bad")}
              ${i.elapsedMs!=null?s("Took",`${i.elapsedMs} ms`):l}
              ${i.bot?.username?s("Bot","@"+i.bot.username):l}
            </dl>`:l}
        <p class="sub">Checked ${g(this.st?.ts)}. Bot accounts are configured under <code>channels.telegram</code>.</p>
      </section>
    </div>`}};customElements.define("cb-channels",z);var G=class extends m{constructor(){super(...arguments);this.rows=[];this.version=0;this.filter=""}connected(){this.version=0,this.refresh()}onEvent(e){e.event==="presence"&&this.apply(e.payload?.presence,e.stateVersion?.presence)}apply(e,t){if(Array.isArray(e)){if(t!=null){if(t<this.version)return;this.version=t}this.rows=e,this.setError("instances",null)}}async refresh(){let e=await this.call("instances","system-presence");e&&this.apply(e,null)}render(){let e=this.filter.toLowerCase(),t=e?this.rows.filter(s=>JSON.stringify(s).toLowerCase().includes(e)):this.rows;return o`<section id="instances-card" class="card" aria-labelledby="instances-title">
      <h2 id="instances-title">Instances <span id="instances-count" class="count">${this.rows.length}</span>
        <span class="spacer"></span><button id="instances-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("instances")}
      <label>Filter <input id="instances-filter" type="search" .value=${this.filter} @input=${s=>(this.filter=s.target.value,this.requestUpdate())}></label>
      <p class="muted" ?hidden=${this.rows.length>0}>No instances.</p>
      <div class="scroll">
        <table id="instances" class="table">
          <thead><tr><th>Host</th><th>Mode</th><th>Platform</th><th>Version</th><th>Address</th><th>Reason</th><th>Seen</th></tr></thead>
          <tbody>
            ${t.map(s=>o`<tr class=${s.reason==="disconnect"?"gone":""} data-instance-id=${s.instanceId??l}>
                <td><strong>${s.host||s.instanceId||"—"}</strong>${s.text?o`<div class="sub">${s.text}</div>`:l}
                  ${s.roles?.length||s.scopes?.length?o`<div class="sub">${[...s.roles??[],...s.scopes??[]].join(" ")}</div>`:l}</td>
                <td>${s.mode||"—"}</td>
                <td>${[s.platform,s.deviceFamily,s.modelIdentifier].filter(Boolean).join(" · ")||"—"}</td>
                <td>${s.version||"—"}</td>
                <td>${s.ip||"local"}</td>
                <td>${s.reason||"—"}</td>
                <td title=${s.ts?new Date(s.ts).toISOString():""}>${g(s.ts)}${s.lastInputSeconds!=null?o`<div class="sub">idle ${s.lastInputSeconds}s</div>`:l}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
    </section>`}};customElements.define("cb-instances",G);var it=3e5,J=class extends m{constructor(){super(...arguments);this.st=null;this.filter="";this.busy=new Set;this.notes=new Map;this.installs=new Map}connected(){this.active&&this.refresh()}shown(){this.refresh()}async refresh(){let e=await this.call("skills","skills.status",{});e&&(this.st=e),this.requestUpdate()}note(e,t,s=!1){this.notes.set(e,{text:t,error:s}),this.requestUpdate()}async patch(e,t,s){let i=e.skillKey;this.busy.add(i),this.requestUpdate();try{await this.gw.request("skills.update",{skillKey:i,...t}),this.note(i,s)}catch(r){this.note(i,r.message,!0)}this.busy.delete(i),await this.refresh()}saveKey(e,t){t.preventDefault();let s=t.target.querySelector("input"),i=s.value;this.patch(e,{apiKey:i},i.trim()?`API key saved for ${e.primaryEnv}.`:"API key removed.").then(()=>s.value="")}async install(e,t){let s=`${e.name}:${t.id}`;this.busy.add(e.skillKey),this.installs.set(s,{ok:!0,message:`Running ${t.label}…`,output:""}),this.requestUpdate();try{let i=await this.gw.request("skills.install",{name:e.name,installId:t.id,timeoutMs:it},it+1e4);this.installs.set(s,{ok:!!i?.ok,message:i?.message||"Installed",output:[i?.stdout,i?.stderr].filter(Boolean).join(`
`)})}catch(i){let r=i.details,d=r&&typeof r=="object"?[r.stdout,r.stderr].filter(Boolean).join(`
`):"";this.installs.set(s,{ok:!1,message:i.message,output:d})}this.busy.delete(e.skillKey),await this.refresh()}render(){let e=this.st?.skills??[],t=this.filter.toLowerCase(),s=t?e.filter(r=>`${r.name} ${r.description} ${r.source}`.toLowerCase().includes(t)):e,i=e.filter(r=>r.eligible).length;return o`<section id="skills-card" class="card" aria-labelledby="skills-title">
      <h2 id="skills-title">Skills <span class="count" aria-label="${i} of ${e.length} eligible">${i}/${e.length}</span>
        <span class="spacer"></span><button id="skills-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("skills")}
      ${this.st?o`<p class="sub mono">workspace ${this.st.workspaceDir} · managed ${this.st.managedSkillsDir}</p>`:l}
      <label>Filter <input id="skills-filter" type="search" .value=${this.filter} @input=${r=>(this.filter=r.target.value,this.requestUpdate())}></label>
      <p class="muted" ?hidden=${e.length>0}>No skills found. Put a folder with a SKILL.md into the workspace's <code>skills/</code> or the managed skills folder.</p>
      <ul id="skills" class="plain skills">
        ${s.map(r=>{let d=ze(r),c=this.busy.has(r.skillKey),p=this.notes.get(r.skillKey);return o`<li class="skill ${r.eligible?"eligible":"ineligible"}" data-skill=${r.name} data-skill-key=${r.skillKey}>
            <div class="skill-head">
              <strong>${r.emoji?r.emoji+" ":""}${r.name}</strong>
              <span class="badge" data-ok=${String(!!r.eligible)}>${r.eligible?"eligible":r.disabled?"disabled":"not eligible"}</span>
              <span class="tag">${String(r.source||"").replace(/^clawdbot-/,"")}</span>
              ${r.always?o`<span class="tag">always</span>`:l}
              <span class="spacer"></span>
              <button class="toggle ${r.disabled?"primary":""}" ?disabled=${c} aria-label="${r.disabled?"Enable":"Disable"} ${r.name}"
                @click=${()=>this.patch(r,{enabled:!!r.disabled},r.disabled?"Enabled.":"Disabled.")}>${r.disabled?"Enable":"Disable"}</button>
            </div>
            ${r.description?o`<div class="sub">${r.description}</div>`:l}
            ${d.length?o`<ul class="reasons">${d.map(h=>o`<li class="reason">${h}</li>`)}</ul>`:l}
            ${r.primaryEnv?o`<form class="row api-key" @submit=${h=>this.saveKey(r,h)}>
                  <label class="grow">API key (${r.primaryEnv}) <input type="password" autocomplete="off" placeholder="empty removes the key"></label>
                  <button type="submit" ?disabled=${c}>Save key</button></form>`:l}
            ${(r.install??[]).length?o`<div class="row installs">${r.install.map(h=>o`<button class="install" ?disabled=${c} data-install-id=${h.id} aria-label="${h.label} for ${r.name}" @click=${()=>this.install(r,h)}>${h.label}</button>`)}</div>`:l}
            ${(r.install??[]).map(h=>{let u=this.installs.get(`${r.name}:${h.id}`);return u?o`<div class="install-result" role="status"><span class=${u.ok?"good":"error"}>${u.message}</span>${u.output?o`<pre class="out">${u.output}</pre>`:l}</div>`:l})}
            ${p?o`<p class="note ${p.error?"error":"muted"}" role=${p.error?"alert":"status"}>${p.text}</p>`:l}
            <div class="sub mono">${r.filePath}</div>
          </li>`})}
      </ul>
    </section>`}};customElements.define("cb-skills",J);var nt=3e4,rt=1500,W=class extends m{constructor(){super(...arguments);this.nodes=[];this.nodePending=[];this.devPending=[];this.devices=[];this.selected="";this.desc=null;this.renaming=!1;this.invokeResult="";this.invokeError="";this.invoking=!1;this.busy=new Set;this.rowErrors=new Map;this.newToken=null;this.armed="";this.notice="";this.devNotice="";this.lastRefresh=0;this.timer=null}connected(){this.active&&this.refresh()}shown(){this.refresh()}onEvent(e){let t=e.payload;switch(e.event){case"device.pair.requested":t?.requestId&&!this.devPending.some(s=>s.requestId===t.requestId)&&(this.devPending=[t,...this.devPending]),this.requestUpdate();break;case"device.pair.resolved":this.devPending=this.devPending.filter(s=>s.requestId!==t?.requestId),this.active&&this.refreshDevices(),this.requestUpdate();break;case"node.pair.requested":t?.requestId&&!this.nodePending.some(s=>s.requestId===t.requestId)&&(this.nodePending=[t,...this.nodePending]),this.requestUpdate();break;case"node.pair.resolved":this.nodePending=this.nodePending.filter(s=>s.requestId!==t?.requestId),this.active&&this.refreshNodes(),this.requestUpdate();break;case"presence":if(!this.active)break;Date.now()-this.lastRefresh>=rt?this.refreshNodes():this.timer||(this.timer=setTimeout(()=>(this.timer=null,void this.refreshNodes()),rt));break}}async refresh(){await Promise.all([this.refreshNodes(),this.refreshDevices()])}async refreshNodes(){this.lastRefresh=Date.now();try{let[e,t]=await Promise.all([this.gw.request("node.list"),this.gw.request("node.pair.list")]),s=e?.nodes??[],i=new Set(s.map(r=>r.nodeId));for(let r of t?.paired??[])i.has(r.nodeId)||s.push({...r,paired:!0,connected:!1});this.nodes=s,this.nodePending=t?.pending??[],this.setError("nodes",null)}catch(e){this.setError("nodes",e)}}async refreshDevices(){let e=await this.call("devices","device.pair.list",{});e&&(this.devPending=e.pending??[],this.devices=e.paired??[],this.requestUpdate())}async decide(e,t,s){this.busy.add(s),this.rowErrors.delete(s),this.requestUpdate();try{await this.gw.request(`${e}.pair.${t?"approve":"reject"}`,{requestId:s}),e==="node"?this.nodePending=this.nodePending.filter(r=>r.requestId!==s):this.devPending=this.devPending.filter(r=>r.requestId!==s);let i=`${e==="node"?"Node":"Device"} request ${t?"approved":"rejected"}.`;e==="node"?this.notice=i:this.devNotice=i,await(e==="node"?this.refreshNodes():this.refreshDevices())}catch(i){this.rowErrors.set(s,i.message)}this.busy.delete(s),this.requestUpdate()}async select(e){this.selected=e,this.desc=null,this.invokeResult="",this.invokeError="",this.renaming=!1,this.requestUpdate();let t=await this.call("describe","node.describe",{nodeId:e});this.selected===e&&(this.desc=t??null),this.requestUpdate()}async rename(e){e.preventDefault();let s=e.target.querySelector("#node-name").value.trim();if(!s)return;let i=await this.call("describe","node.rename",{nodeId:this.selected,displayName:s});i&&(this.renaming=!1,this.notice=`Renamed to ${i.displayName}.`,await Promise.all([this.refreshNodes(),this.select(this.selected)]))}async invoke(e){e.preventDefault();let t=e.target,s=t.querySelector("#invoke-command").value.trim(),i=t.querySelector("#invoke-params").value;this.invokeResult="",this.invokeError="";let r;try{if(!s)throw new Error("a command is required");r=Ge(i)}catch(d){this.invokeError=d.message,this.requestUpdate();return}this.invoking=!0,this.requestUpdate();try{let d=await this.gw.request("node.invoke",{nodeId:this.selected,command:s,...r===void 0?{}:{params:r},timeoutMs:nt,idempotencyKey:x()},nt+5e3);this.invokeResult=d?.payload!==void 0?O(d.payload):d?.payloadJSON??"(no payload)"}catch(d){this.invokeError=d.message}this.invoking=!1,this.requestUpdate()}async token(e,t,s){let i=`${e}:${t}:${s}`;if(e==="revoke"&&this.armed!==i){this.armed=i,this.requestUpdate();return}this.armed="",this.newToken=null;let r=await this.call("devices",`device.token.${e}`,{deviceId:t,role:s});r&&e==="rotate"&&(this.newToken={deviceId:t,role:s,token:r.token}),r&&e==="revoke"&&(this.devNotice=r.revoked?`The ${s} token was revoked.`:`No ${s} token to revoke.`),await this.refreshDevices()}pendingList(e,t){return o`<ul id="${e}-pending" class="pending">
      ${t.map(s=>{let i=this.busy.has(s.requestId),r=this.rowErrors.get(s.requestId),d=s.displayName||s.nodeId||(s.deviceId?s.deviceId.slice(0,12):s.requestId);return o`<li class="pending-item ${e}-request" data-request-id=${s.requestId}>
          <div class="grow">
            <strong>${d}</strong>${s.isRepair?o`<span class="tag">repair</span>`:l}${s.role?o`<span class="tag">${s.role}</span>`:l}
            <div class="sub">${[s.platform,s.version,s.clientId,s.remoteIp,(s.scopes??[]).join(" "),g(s.ts)].filter(Boolean).join(" · ")}</div>
            ${r?o`<div class="note error" role="alert">${r}</div>`:l}
          </div>
          <button class="primary approve" ?disabled=${i} aria-label="Approve ${d}" @click=${()=>this.decide(e,!0,s.requestId)}>Approve</button>
          <button class="danger reject" ?disabled=${i} aria-label="Reject ${d}" @click=${()=>this.decide(e,!1,s.requestId)}>Reject</button>
        </li>`})}
    </ul>`}render(){let e=this.desc,t=this.nodes.find(s=>s.nodeId===this.selected);return o`<div class="grid">
      <section id="nodes-view-card" class="card" aria-labelledby="nodes-view-title">
        <h2 id="nodes-view-title">Nodes <span class="count">${this.nodes.length}</span>
          <span class="spacer"></span><button id="nodes-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
        ${this.errorLine("nodes")}
        ${this.notice?o`<p id="nodes-notice" class="muted" role="status">${this.notice}</p>`:l}
        <h3>Node pairing <span class="count">${this.nodePending.length}</span></h3>
        <p class="muted" ?hidden=${this.nodePending.length>0}>No node is waiting for approval.</p>
        ${this.pendingList("node",this.nodePending)}
        <h3>Known nodes</h3>
        <p class="muted" ?hidden=${this.nodes.length>0}>No paired or connected nodes.</p>
        <div class="scroll">
          <table id="nodes-list" class="table">
            <tbody>
              ${this.nodes.map(s=>o`<tr data-node-id=${s.nodeId} class=${s.nodeId===this.selected?"selected":""}>
                  <td><strong>${s.displayName||s.nodeId}</strong><div class="sub mono">${s.nodeId}</div></td>
                  <td><span class="dot ${s.connected?"on":"off"}"></span>${s.connected?"connected":"offline"}</td>
                  <td>${[s.platform,s.version].filter(Boolean).join(" · ")||"—"}</td>
                  <td class="actions"><button class="describe" aria-label="Details of ${s.displayName||s.nodeId}" @click=${()=>this.select(s.nodeId)}>Details</button></td>
                </tr>`)}
            </tbody>
          </table>
        </div>
        ${this.selected?o`<div id="node-detail">
              <h3>${e?.displayName||t?.displayName||this.selected}</h3>
              ${this.errorLine("describe")}
              ${e?o`<dl class="kv">
                    <dt>Node</dt><dd class="mono">${e.nodeId}</dd>
                    <dt>State</dt><dd>${e.connected?"connected":"offline"} · ${e.paired?"paired":"unpaired"}</dd>
                    <dt>Device</dt><dd>${[e.platform,e.deviceFamily,e.modelIdentifier,e.version].filter(Boolean).join(" · ")||"—"}</dd>
                    <dt>Address</dt><dd>${e.remoteIp||"—"}</dd>
                    <dt>Caps</dt><dd>${(e.caps??[]).join(", ")||"—"}</dd>
                    <dt>Commands</dt><dd class="mono">${(e.commands??[]).join(", ")||"—"}</dd>
                  </dl>`:l}
              ${this.renaming?o`<form id="node-rename" class="row" @submit=${this.rename}>
                    <label class="grow">New name <input id="node-name" required maxlength="200" .value=${e?.displayName||t?.displayName||""}></label>
                    <button type="submit" class="primary">Save name</button>
                    <button type="button" @click=${()=>(this.renaming=!1,this.requestUpdate())}>Cancel</button></form>`:o`<button id="node-rename-open" @click=${()=>(this.renaming=!0,this.requestUpdate())}>Rename</button>`}
              <form id="node-invoke" @submit=${this.invoke}>
                <label>Command <input id="invoke-command" list="invoke-commands" placeholder="e.g. canvas.eval" autocomplete="off"></label>
                <datalist id="invoke-commands">${(e?.commands??[]).map(s=>o`<option value=${s}></option>`)}</datalist>
                <label>Params (JSON) <textarea id="invoke-params" class="code" rows="3" spellcheck="false" placeholder='{"javaScript": "1+1"}'></textarea></label>
                <button id="invoke-submit" type="submit" class="primary" ?disabled=${this.invoking||e&&!e.connected}>${this.invoking?"Invoking…":"Invoke"}</button>
                ${e&&!e.connected?o`<span class="sub"> the node is offline</span>`:l}
              </form>
              ${this.invokeError?o`<p id="invoke-error" class="error" role="alert">${this.invokeError}</p>`:l}
              ${this.invokeResult?o`<pre id="invoke-result" class="out" role="status">${this.invokeResult}</pre>`:l}
            </div>`:l}
      </section>

      <section id="devices-card" class="card" aria-labelledby="devices-title">
        <h2 id="devices-title">Devices <span class="count">${this.devices.length}</span></h2>
        ${this.errorLine("devices")}
        ${this.devNotice?o`<p id="devices-notice" class="muted" role="status">${this.devNotice}</p>`:l}
        <h3>Device pairing <span id="device-pending-count" class="count">${this.devPending.length}</span></h3>
        <p class="muted" ?hidden=${this.devPending.length>0}>No device is waiting for approval.</p>
        ${this.pendingList("device",this.devPending)}
        ${this.newToken?o`<div id="device-new-token" class="note" role="status">New ${this.newToken.role} token for ${this.newToken.deviceId.slice(0,12)}… (shown once):
              <code class="mono token">${this.newToken.token}</code></div>`:l}
        <h3>Paired devices</h3>
        <p class="muted" ?hidden=${this.devices.length>0}>No paired devices.</p>
        <ul id="devices" class="plain">
          ${this.devices.map(s=>{let i=s.roles?.length?s.roles:s.role?[s.role]:[],r=s.displayName||s.deviceId.slice(0,12);return o`<li class="device" data-device-id=${s.deviceId}>
              <div><strong>${r}</strong> <span class="sub">${[s.platform,s.clientId,s.remoteIp].filter(Boolean).join(" · ")}</span></div>
              <div class="sub mono">${s.deviceId}</div>
              <div class="sub">approved ${_(s.approvedAtMs)}${(s.scopes??[]).length?` · scopes ${s.scopes.join(" ")}`:""}</div>
              <div class="row">
                ${i.map(d=>{let c=this.armed===`revoke:${s.deviceId}:${d}`;return o`<span class="tag">${d}</span>
                    <button class="rotate" aria-label="Rotate the ${d} token of ${r}" @click=${()=>this.token("rotate",s.deviceId,d)}>Rotate token</button>
                    <button class="revoke danger" aria-label="${c?"Confirm revoke":"Revoke"} the ${d} token of ${r}" @click=${()=>this.token("revoke",s.deviceId,d)}>${c?"Confirm revoke":"Revoke"}</button>`})}
              </div>
            </li>`})}
        </ul>
      </section>
    </div>`}};customElements.define("cb-nodes",W);var we="clawdbot.controlUi.auth",at="clawdbot.controlUi.instanceId",ot="clawdbot.controlUi.theme",Ee=[{id:"overview",label:"Overview",make:()=>new P},{id:"chat",label:"Chat",make:()=>new D},{id:"channels",label:"Channels",make:()=>new z},{id:"instances",label:"Instances",make:()=>new G},{id:"sessions",label:"Sessions",make:()=>new F},{id:"cron",label:"Cron",make:()=>new K},{id:"skills",label:"Skills",make:()=>new J},{id:"nodes",label:"Nodes",make:()=>new W},{id:"approvals",label:"Approvals",make:()=>new B},{id:"config",label:"Config",make:()=>new V},{id:"logs",label:"Logs",make:()=>new H},{id:"debug",label:"Debug",make:()=>new j}];function lt(){try{let a=JSON.parse(localStorage.getItem(we)||"null");if(a&&typeof a=="object")return a}catch{}return null}function Ft(){let a=localStorage.getItem(at);return a||(a=x(),localStorage.setItem(at,a)),a}function dt(){let a=location.hash.replace(/^#\/?/,"");return Ee.find(n=>n.id===a)?.id??"overview"}var X=class extends v{constructor(){super();this.views=new Map;this.route=dt();this.conn="idle";this.showLogin=!1;this.loginError="";this.banner="";this.serverInfo="";this.canvasUrl="";this.approvals=0;this.theme=localStorage.getItem(ot)||"system";let e=window.__CLAWDBOT_CONTROL_UI_BASE_PATH__||"",t=`${location.protocol==="https:"?"wss":"ws"}://${location.host}${e}/`;this.gw=new ie(t,Ft());for(let s of Ee){let i=s.make();i.gw=this.gw,i.id=`view-${s.id}`,i.classList.add("view"),this.views.set(s.id,i)}this.views.get("approvals").onCount=s=>{this.approvals=s,this.requestUpdate()},this.applyTheme(),this.wire()}createRenderRoot(){return this}connectedCallback(){super.connectedCallback(),window.addEventListener("hashchange",()=>this.go(dt(),!1));let e=lt();e?this.gw.start(e):this.showLogin=!0,this.setActive(),setInterval(()=>this.views.get(this.route)?.requestUpdate(),5e3)}wire(){let e=this.gw;e.addEventListener("state",t=>{let{state:s,reason:i}=t.detail;if(this.conn=s,document.body.dataset.conn=s,s==="disconnected"||s==="connecting"&&e.attempt>0?this.banner=`Disconnected from the gateway${i?` (${i})`:""}. Reconnecting…`:this.banner="",s==="unauthorized"&&(this.showLogin=!0,this.loginError=`The gateway refused the token: ${i||"unauthorized"}`),s!=="connected")for(let r of this.views.values())r.disconnected();this.requestUpdate()}),e.addEventListener("retry",t=>{let s=t.detail;this.banner=`Disconnected from the gateway. Reconnecting in ${(s.delay/1e3).toFixed(1)} s (attempt ${s.attempt})…`,this.requestUpdate()}),e.addEventListener("hello",t=>{let s=t.detail;this.showLogin=!1,this.loginError="";let i=s.server||{};this.serverInfo=`${i.host?i.host+" · ":""}${/^\d/.test(i.version||"")?"v":""}${i.version??""}${i.commit?" ("+i.commit.slice(0,7)+")":""}`,this.canvasUrl=s.canvasHostUrl?`${s.canvasHostUrl}/__clawdbot__/canvas/`:"";let r=s.snapshot||{};this.views.get("overview").applyHello(r),this.views.get("chat").setSession(r.sessionDefaults?.mainSessionKey||"main"),this.views.get("sessions").mainKey=r.sessionDefaults?.mainSessionKey||"",this.requestUpdate();for(let d of this.views.values())d.connected()}),e.addEventListener("gap",()=>{for(let t of this.views.values())t.connected()}),e.addEventListener("event",t=>{let s=t.detail;s.event==="shutdown"&&(this.banner=s.payload?.restartExpectedMs?"The gateway is restarting…":"The gateway is stopping…",this.requestUpdate());for(let i of this.views.values())i.onEvent(s)})}go(e,t=!0){t&&location.hash!==`#/${e}`&&(location.hash=`#/${e}`),this.route=e,this.setActive(),this.requestUpdate()}setActive(){for(let[e,t]of this.views){let s=e===this.route,i=t.active;t.active=s,t.hidden=!s,s&&!i&&this.gw.state==="connected"&&t.shown()}}applyTheme(){this.theme==="system"?delete document.documentElement.dataset.theme:document.documentElement.dataset.theme=this.theme}cycleTheme(){this.theme={system:"light",light:"dark",dark:"system"}[this.theme]||"system",localStorage.setItem(ot,this.theme),this.applyTheme(),this.requestUpdate()}login(e){e.preventDefault();let t=this.querySelector("#token"),s=this.querySelector("#use-password"),i=t.value.trim(),r=i?s.checked?{password:i}:{token:i}:{};localStorage.setItem(we,JSON.stringify(r)),t.value="",this.showLogin=!1,this.loginError="",this.requestUpdate(),this.gw.start(r)}logout(){localStorage.removeItem(we),this.gw.stop(),this.showLogin=!0,this.requestUpdate()}updated(){this.showLogin&&this.querySelector("#token")?.focus()}render(){let e={idle:"not connected",connecting:"connecting…",connected:"connected",disconnected:"disconnected",unauthorized:"token rejected"}[this.conn],t=!this.showLogin&&this.gw.hello!=null;return o`
      <a class="skip" href="#dash">Skip to content</a>
      <header class="top">
        <div class="brand"><span class="logo" aria-hidden="true"></span><span>Clawdbot</span> <small>control</small></div>
        <span id="conn" class="pill" data-state=${this.conn} role="status">${e}</span>
        <span id="server-info" class="muted">${this.serverInfo}</span>
        <span class="spacer"></span>
        <a id="canvas-link" class="link" target="_blank" rel="noopener" ?hidden=${!this.canvasUrl} href=${this.canvasUrl||l}>Canvas ↗</a>
        <button id="theme" class="ghost" @click=${this.cycleTheme} aria-label="Theme: ${this.theme} (click to change)">${{system:"◐ auto",light:"☀ light",dark:"☾ dark"}[this.theme]??this.theme}</button>
        <button id="logout" class="ghost" @click=${this.logout}>Change token</button>
      </header>
      <div id="banner" class="banner" role="status" ?hidden=${!this.banner}>
        <span id="banner-text">${this.banner}</span>
        <button id="reconnect-now" class="ghost" @click=${()=>{let s=lt();s&&this.gw.start(s)}}>Retry now</button>
      </div>
      <section id="login" class="login" ?hidden=${!this.showLogin}>
        <form id="login-form" class="card" @submit=${this.login}>
          <h2>Connect to the gateway</h2>
          <p class="muted">Enter the gateway token (<code>gateway.auth.token</code>). It is kept in this browser only. Leave it empty for a gateway without auth.</p>
          <label>Gateway token <input id="token" type="password" autocomplete="current-password" spellcheck="false"></label>
          <label class="inline"><input id="use-password" type="checkbox"> this is a password (<code>gateway.auth.password</code>)</label>
          <button id="connect" type="submit" class="primary">Connect</button>
          <p id="login-error" class="error" role="alert">${this.loginError}</p>
        </form>
      </section>
      <nav class="tabs" aria-label="Views" ?hidden=${!t}>
        ${Ee.map(s=>o`<a id="nav-${s.id}" href="#/${s.id}" aria-current=${s.id===this.route?"page":l}
            @click=${i=>(i.preventDefault(),this.go(s.id))}>${s.label}${s.id==="approvals"&&this.approvals?o` <span id="approvals-badge" class="count alert" aria-label="${this.approvals} waiting">${this.approvals}</span>`:l}</a>`)}
      </nav>
      <main id="dash" tabindex="-1" ?hidden=${!t}>${[...this.views.values()]}</main>`}};customElements.define("cb-app",X);var Kt=new X;document.body.append(Kt);export{Pt as registerConfigForm};
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
