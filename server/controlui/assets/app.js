var ue=globalThis,me=ue.ShadowRoot&&(ue.ShadyCSS===void 0||ue.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,Ye=Symbol(),Xe=new WeakMap,pe=class{constructor(i,e,t){if(this._$cssResult$=!0,t!==Ye)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=i,this.t=e}get styleSheet(){let i=this.o,e=this.t;if(me&&i===void 0){let t=e!==void 0&&e.length===1;t&&(i=Xe.get(e)),i===void 0&&((this.o=i=new CSSStyleSheet).replaceSync(this.cssText),t&&Xe.set(e,i))}return i}toString(){return this.cssText}},Qe=r=>new pe(typeof r=="string"?r:r+"",void 0,Ye);var Ze=(r,i)=>{if(me)r.adoptedStyleSheets=i.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of i){let t=document.createElement("style"),s=ue.litNonce;s!==void 0&&t.setAttribute("nonce",s),t.textContent=e.cssText,r.appendChild(t)}},xe=me?r=>r:r=>r instanceof CSSStyleSheet?(i=>{let e="";for(let t of i.cssRules)e+=t.cssText;return Qe(e)})(r):r;var{is:hs,defineProperty:us,getOwnPropertyDescriptor:ps,getOwnPropertyNames:ms,getOwnPropertySymbols:gs,getPrototypeOf:fs}=Object,ge=globalThis,et=ge.trustedTypes,vs=et?et.emptyScript:"",ys=ge.reactiveElementPolyfillSupport,j=(r,i)=>r,_e={toAttribute(r,i){switch(i){case Boolean:r=r?vs:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,i){let e=r;switch(i){case Boolean:e=r!==null;break;case Number:e=r===null?null:Number(r);break;case Object:case Array:try{e=JSON.parse(r)}catch{e=null}}return e}},st=(r,i)=>!hs(r,i),tt={attribute:!0,type:String,converter:_e,reflect:!1,useDefault:!1,hasChanged:st};Symbol.metadata??=Symbol("metadata"),ge.litPropertyMetadata??=new WeakMap;var S=class extends HTMLElement{static addInitializer(i){this._$Ei(),(this.l??=[]).push(i)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(i,e=tt){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(i)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(i,e),!e.noAccessor){let t=Symbol(),s=this.getPropertyDescriptor(i,t,e);s!==void 0&&us(this.prototype,i,s)}}static getPropertyDescriptor(i,e,t){let{get:s,set:n}=ps(this.prototype,i)??{get(){return this[e]},set(a){this[e]=a}};return{get:s,set(a){let c=s?.call(this);n?.call(this,a),this.requestUpdate(i,c,t)},configurable:!0,enumerable:!0}}static getPropertyOptions(i){return this.elementProperties.get(i)??tt}static _$Ei(){if(this.hasOwnProperty(j("elementProperties")))return;let i=fs(this);i.finalize(),i.l!==void 0&&(this.l=[...i.l]),this.elementProperties=new Map(i.elementProperties)}static finalize(){if(this.hasOwnProperty(j("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(j("properties"))){let e=this.properties,t=[...ms(e),...gs(e)];for(let s of t)this.createProperty(s,e[s])}let i=this[Symbol.metadata];if(i!==null){let e=litPropertyMetadata.get(i);if(e!==void 0)for(let[t,s]of e)this.elementProperties.set(t,s)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let s=this._$Eu(e,t);s!==void 0&&this._$Eh.set(s,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(i){let e=[];if(Array.isArray(i)){let t=new Set(i.flat(1/0).reverse());for(let s of t)e.unshift(xe(s))}else i!==void 0&&e.push(xe(i));return e}static _$Eu(i,e){let t=e.attribute;return t===!1?void 0:typeof t=="string"?t:typeof i=="string"?i.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(i=>this.enableUpdating=i),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(i=>i(this))}addController(i){(this._$EO??=new Set).add(i),this.renderRoot!==void 0&&this.isConnected&&i.hostConnected?.()}removeController(i){this._$EO?.delete(i)}_$E_(){let i=new Map,e=this.constructor.elementProperties;for(let t of e.keys())this.hasOwnProperty(t)&&(i.set(t,this[t]),delete this[t]);i.size>0&&(this._$Ep=i)}createRenderRoot(){let i=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Ze(i,this.constructor.elementStyles),i}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(i=>i.hostConnected?.())}enableUpdating(i){}disconnectedCallback(){this._$EO?.forEach(i=>i.hostDisconnected?.())}attributeChangedCallback(i,e,t){this._$AK(i,t)}_$ET(i,e){let t=this.constructor.elementProperties.get(i),s=this.constructor._$Eu(i,t);if(s!==void 0&&t.reflect===!0){let n=(t.converter?.toAttribute!==void 0?t.converter:_e).toAttribute(e,t.type);this._$Em=i,n==null?this.removeAttribute(s):this.setAttribute(s,n),this._$Em=null}}_$AK(i,e){let t=this.constructor,s=t._$Eh.get(i);if(s!==void 0&&this._$Em!==s){let n=t.getPropertyOptions(s),a=typeof n.converter=="function"?{fromAttribute:n.converter}:n.converter?.fromAttribute!==void 0?n.converter:_e;this._$Em=s;let c=a.fromAttribute(e,n.type);this[s]=c??this._$Ej?.get(s)??c,this._$Em=null}}requestUpdate(i,e,t,s=!1,n){if(i!==void 0){let a=this.constructor;if(s===!1&&(n=this[i]),t??=a.getPropertyOptions(i),!((t.hasChanged??st)(n,e)||t.useDefault&&t.reflect&&n===this._$Ej?.get(i)&&!this.hasAttribute(a._$Eu(i,t))))return;this.C(i,e,t)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(i,e,{useDefault:t,reflect:s,wrapped:n},a){t&&!(this._$Ej??=new Map).has(i)&&(this._$Ej.set(i,a??e??this[i]),n!==!0||a!==void 0)||(this._$AL.has(i)||(this.hasUpdated||t||(e=void 0),this._$AL.set(i,e)),s===!0&&this._$Em!==i&&(this._$Eq??=new Set).add(i))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let i=this.scheduleUpdate();return i!=null&&await i,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,n]of this._$Ep)this[s]=n;this._$Ep=void 0}let t=this.constructor.elementProperties;if(t.size>0)for(let[s,n]of t){let{wrapped:a}=n,c=this[s];a!==!0||this._$AL.has(s)||c===void 0||this.C(s,void 0,n,c)}}let i=!1,e=this._$AL;try{i=this.shouldUpdate(e),i?(this.willUpdate(e),this._$EO?.forEach(t=>t.hostUpdate?.()),this.update(e)):this._$EM()}catch(t){throw i=!1,this._$EM(),t}i&&this._$AE(e)}willUpdate(i){}_$AE(i){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(i)),this.updated(i)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(i){return!0}update(i){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(i){}firstUpdated(i){}};S.elementStyles=[],S.shadowRootOptions={mode:"open"},S[j("elementProperties")]=new Map,S[j("finalized")]=new Map,ys?.({ReactiveElement:S}),(ge.reactiveElementVersions??=[]).push("2.1.2");var Ue=globalThis,it=r=>r,fe=Ue.trustedTypes,nt=fe?fe.createPolicy("lit-html",{createHTML:r=>r}):void 0,ct="$lit$",T=`lit$${Math.random().toFixed(9).slice(2)}$`,ht="?"+T,$s=`<${ht}>`,L=document,V=()=>L.createComment(""),z=r=>r===null||typeof r!="object"&&typeof r!="function",Ne=Array.isArray,bs=r=>Ne(r)||typeof r?.[Symbol.iterator]=="function",Ie=`[ 	
\f\r]`,B=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,rt=/-->/g,at=/>/g,_=RegExp(`>|${Ie}(?:([^\\s"'>=/]+)(${Ie}*=${Ie}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ot=/'/g,lt=/"/g,ut=/^(?:script|style|textarea|title)$/i,Oe=r=>(i,...e)=>({_$litType$:r,strings:i,values:e}),o=Oe(1),ii=Oe(2),ni=Oe(3),M=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),dt=new WeakMap,I=L.createTreeWalker(L,129);function pt(r,i){if(!Ne(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return nt!==void 0?nt.createHTML(i):i}var ws=(r,i)=>{let e=r.length-1,t=[],s,n=i===2?"<svg>":i===3?"<math>":"",a=B;for(let c=0;c<e;c++){let l=r[c],h,u,p=-1,f=0;for(;f<l.length&&(a.lastIndex=f,u=a.exec(l),u!==null);)f=a.lastIndex,a===B?u[1]==="!--"?a=rt:u[1]!==void 0?a=at:u[2]!==void 0?(ut.test(u[2])&&(s=RegExp("</"+u[2],"g")),a=_):u[3]!==void 0&&(a=_):a===_?u[0]===">"?(a=s??B,p=-1):u[1]===void 0?p=-2:(p=a.lastIndex-u[2].length,h=u[1],a=u[3]===void 0?_:u[3]==='"'?lt:ot):a===lt||a===ot?a=_:a===rt||a===at?a=B:(a=_,s=void 0);let g=a===_&&r[c+1].startsWith("/>")?" ":"";n+=a===B?l+$s:p>=0?(t.push(h),l.slice(0,p)+ct+l.slice(p)+T+g):l+T+(p===-2?c:g)}return[pt(r,n+(r[e]||"<?>")+(i===2?"</svg>":i===3?"</math>":"")),t]},J=class r{constructor({strings:i,_$litType$:e},t){let s;this.parts=[];let n=0,a=0,c=i.length-1,l=this.parts,[h,u]=ws(i,e);if(this.el=r.createElement(h,t),I.currentNode=this.el.content,e===2||e===3){let p=this.el.content.firstChild;p.replaceWith(...p.childNodes)}for(;(s=I.nextNode())!==null&&l.length<c;){if(s.nodeType===1){if(s.hasAttributes())for(let p of s.getAttributeNames())if(p.endsWith(ct)){let f=u[a++],g=s.getAttribute(p).split(T),y=/([.?@])?(.*)/.exec(f);l.push({type:1,index:n,name:y[2],strings:g,ctor:y[1]==="."?Me:y[1]==="?"?Re:y[1]==="@"?qe:O}),s.removeAttribute(p)}else p.startsWith(T)&&(l.push({type:6,index:n}),s.removeAttribute(p));if(ut.test(s.tagName)){let p=s.textContent.split(T),f=p.length-1;if(f>0){s.textContent=fe?fe.emptyScript:"";for(let g=0;g<f;g++)s.append(p[g],V()),I.nextNode(),l.push({type:2,index:++n});s.append(p[f],V())}}}else if(s.nodeType===8)if(s.data===ht)l.push({type:2,index:n});else{let p=-1;for(;(p=s.data.indexOf(T,p+1))!==-1;)l.push({type:7,index:n}),p+=T.length-1}n++}}static createElement(i,e){let t=L.createElement("template");return t.innerHTML=i,t}};function N(r,i,e=r,t){if(i===M)return i;let s=t!==void 0?e._$Co?.[t]:e._$Cl,n=z(i)?void 0:i._$litDirective$;return s?.constructor!==n&&(s?._$AO?.(!1),n===void 0?s=void 0:(s=new n(r),s._$AT(r,e,t)),t!==void 0?(e._$Co??=[])[t]=s:e._$Cl=s),s!==void 0&&(i=N(r,s._$AS(r,i.values),s,t)),i}var Le=class{constructor(i,e){this._$AV=[],this._$AN=void 0,this._$AD=i,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(i){let{el:{content:e},parts:t}=this._$AD,s=(i?.creationScope??L).importNode(e,!0);I.currentNode=s;let n=I.nextNode(),a=0,c=0,l=t[0];for(;l!==void 0;){if(a===l.index){let h;l.type===2?h=new G(n,n.nextSibling,this,i):l.type===1?h=new l.ctor(n,l.name,l.strings,this,i):l.type===6&&(h=new Ce(n,this,i)),this._$AV.push(h),l=t[++c]}a!==l?.index&&(n=I.nextNode(),a++)}return I.currentNode=L,s}p(i){let e=0;for(let t of this._$AV)t!==void 0&&(t.strings!==void 0?(t._$AI(i,t,e),e+=t.strings.length-2):t._$AI(i[e])),e++}},G=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(i,e,t,s){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=i,this._$AB=e,this._$AM=t,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let i=this._$AA.parentNode,e=this._$AM;return e!==void 0&&i?.nodeType===11&&(i=e.parentNode),i}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(i,e=this){i=N(this,i,e),z(i)?i===d||i==null||i===""?(this._$AH!==d&&this._$AR(),this._$AH=d):i!==this._$AH&&i!==M&&this._(i):i._$litType$!==void 0?this.$(i):i.nodeType!==void 0?this.T(i):bs(i)?this.k(i):this._(i)}O(i){return this._$AA.parentNode.insertBefore(i,this._$AB)}T(i){this._$AH!==i&&(this._$AR(),this._$AH=this.O(i))}_(i){this._$AH!==d&&z(this._$AH)?this._$AA.nextSibling.data=i:this.T(L.createTextNode(i)),this._$AH=i}$(i){let{values:e,_$litType$:t}=i,s=typeof t=="number"?this._$AC(i):(t.el===void 0&&(t.el=J.createElement(pt(t.h,t.h[0]),this.options)),t);if(this._$AH?._$AD===s)this._$AH.p(e);else{let n=new Le(s,this),a=n.u(this.options);n.p(e),this.T(a),this._$AH=n}}_$AC(i){let e=dt.get(i.strings);return e===void 0&&dt.set(i.strings,e=new J(i)),e}k(i){Ne(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,t,s=0;for(let n of i)s===e.length?e.push(t=new r(this.O(V()),this.O(V()),this,this.options)):t=e[s],t._$AI(n),s++;s<e.length&&(this._$AR(t&&t._$AB.nextSibling,s),e.length=s)}_$AR(i=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);i!==this._$AB;){let t=it(i).nextSibling;it(i).remove(),i=t}}setConnected(i){this._$AM===void 0&&(this._$Cv=i,this._$AP?.(i))}},O=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(i,e,t,s,n){this.type=1,this._$AH=d,this._$AN=void 0,this.element=i,this.name=e,this._$AM=s,this.options=n,t.length>2||t[0]!==""||t[1]!==""?(this._$AH=Array(t.length-1).fill(new String),this.strings=t):this._$AH=d}_$AI(i,e=this,t,s){let n=this.strings,a=!1;if(n===void 0)i=N(this,i,e,0),a=!z(i)||i!==this._$AH&&i!==M,a&&(this._$AH=i);else{let c=i,l,h;for(i=n[0],l=0;l<n.length-1;l++)h=N(this,c[t+l],e,l),h===M&&(h=this._$AH[l]),a||=!z(h)||h!==this._$AH[l],h===d?i=d:i!==d&&(i+=(h??"")+n[l+1]),this._$AH[l]=h}a&&!s&&this.j(i)}j(i){i===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,i??"")}},Me=class extends O{constructor(){super(...arguments),this.type=3}j(i){this.element[this.name]=i===d?void 0:i}},Re=class extends O{constructor(){super(...arguments),this.type=4}j(i){this.element.toggleAttribute(this.name,!!i&&i!==d)}},qe=class extends O{constructor(i,e,t,s,n){super(i,e,t,s,n),this.type=5}_$AI(i,e=this){if((i=N(this,i,e,0)??d)===M)return;let t=this._$AH,s=i===d&&t!==d||i.capture!==t.capture||i.once!==t.once||i.passive!==t.passive,n=i!==d&&(t===d||s);s&&this.element.removeEventListener(this.name,this,t),n&&this.element.addEventListener(this.name,this,i),this._$AH=i}handleEvent(i){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,i):this._$AH.handleEvent(i)}},Ce=class{constructor(i,e,t){this.element=i,this.type=6,this._$AN=void 0,this._$AM=e,this.options=t}get _$AU(){return this._$AM._$AU}_$AI(i){N(this,i)}};var Es=Ue.litHtmlPolyfillSupport;Es?.(J,G),(Ue.litHtmlVersions??=[]).push("3.3.3");var mt=(r,i,e)=>{let t=e?.renderBefore??i,s=t._$litPart$;if(s===void 0){let n=e?.renderBefore??null;t._$litPart$=s=new G(i.insertBefore(V(),n),n,void 0,e??{})}return s._$AI(r),s};var Pe=globalThis,E=class extends S{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let i=super.createRenderRoot();return this.renderOptions.renderBefore??=i.firstChild,i}update(i){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(i),this._$Do=mt(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return M}};E._$litElement$=!0,E.finalized=!0,Pe.litElementHydrateSupport?.({LitElement:E});var ks=Pe.litElementPolyfillSupport;ks?.({LitElement:E});(Pe.litElementVersions??=[]).push("4.2.2");var w=Object.freeze({NOT_LINKED:"NOT_LINKED",NOT_PAIRED:"NOT_PAIRED",AGENT_TIMEOUT:"AGENT_TIMEOUT",INVALID_REQUEST:"INVALID_REQUEST",UNAVAILABLE:"UNAVAILABLE"});var Ss="clawdbot-control-ui",He="keys",gt="device-identity-v1",ve="clawdbot.device.auth.v1";function vt(r){let i="";for(let e of r)i+=String.fromCharCode(e);return btoa(i).replace(/\+/g,"-").replace(/\//g,"_").replace(/=+$/,"")}function As(r){return[...r].map(i=>i.toString(16).padStart(2,"0")).join("")}function yt(r){let i=[r.deviceId,r.clientId,r.clientMode,r.role,r.scopes.join(","),String(r.signedAtMs),r.token];return r.nonce?["v2",...i,r.nonce].join("|"):["v1",...i].join("|")}function ft(r,i){return new Promise((e,t)=>{let s=indexedDB.open(Ss,1);s.onupgradeneeded=()=>s.result.createObjectStore(He),s.onerror=()=>t(s.error),s.onsuccess=()=>{let n=s.result,a=n.transaction(He,r),c=i(a.objectStore(He));a.oncomplete=()=>(n.close(),e(c.result)),a.onerror=()=>(n.close(),t(a.error))}})}var De=null;function $t(){return De||(De=Ts().catch(()=>null)),De}async function Ts(){if(typeof crypto>"u"||!crypto.subtle||typeof indexedDB>"u"||!globalThis.isSecureContext)return null;let r=await ft("readonly",n=>n.get(gt)).catch(()=>{});if(r&&r.privateKey instanceof CryptoKey&&typeof r.publicKey=="string"&&typeof r.deviceId=="string")return{deviceId:r.deviceId,publicKey:r.publicKey,privateKey:r.privateKey};let i;try{i=await crypto.subtle.generateKey({name:"Ed25519"},!1,["sign","verify"])}catch{return null}let e=new Uint8Array(await crypto.subtle.exportKey("raw",i.publicKey)),t=As(new Uint8Array(await crypto.subtle.digest("SHA-256",e))),s={deviceId:t,publicKey:vt(e),privateKey:i.privateKey};return await ft("readwrite",n=>n.put({version:1,deviceId:t,publicKey:s.publicKey,privateKey:i.privateKey,createdAtMs:Date.now()},gt)),s}async function bt(r,i){let e=await crypto.subtle.sign({name:"Ed25519"},r.privateKey,new TextEncoder().encode(i));return vt(new Uint8Array(e))}function ye(){try{let r=JSON.parse(localStorage.getItem(ve)||"null");if(r?.version===1&&typeof r.deviceId=="string"&&r.tokens&&typeof r.tokens=="object")return r}catch{}return null}function wt(r,i){let e=ye(),t=e&&e.deviceId===r?e.tokens[i]?.token:void 0;return typeof t=="string"&&t?t:void 0}function Et(){let r=ye();return!!r&&Object.values(r.tokens).some(i=>typeof i?.token=="string"&&i.token!=="")}function kt(r,i,e,t=[]){let s=ye(),n={version:1,deviceId:r,tokens:s&&s.deviceId===r?{...s.tokens}:{}};n.tokens[i]={token:e,role:i,scopes:[...t].sort(),updatedAtMs:Date.now()};try{localStorage.setItem(ve,JSON.stringify(n))}catch{}}function Ke(r,i){let e=ye();if(!(!e||e.deviceId!==r||!e.tokens[i])){delete e.tokens[i];try{localStorage.setItem(ve,JSON.stringify(e))}catch{}}}function St(){try{localStorage.removeItem(ve)}catch{}}var At=3,Tt="clawdbot-control-ui",xs="control-ui-2";function R(){let r=crypto.getRandomValues(new Uint8Array(16));r[6]=r[6]&15|64,r[8]=r[8]&63|128;let i=[...r].map(e=>e.toString(16).padStart(2,"0")).join("");return`${i.slice(0,8)}-${i.slice(8,12)}-${i.slice(12,16)}-${i.slice(16,20)}-${i.slice(20)}`}var H=class extends Error{constructor(i){super(i?.message||"request failed"),this.code=i?.code||w.UNAVAILABLE,this.details=i?.details,this.retryable=!!i?.retryable,this.retryAfterMs=i?.retryAfterMs}},_s=300,Is=1e4,Ls=750,Ms=2e3,P="operator",xt=["operator.admin","operator.approvals","operator.pairing"],_t=3e4,$e=class extends EventTarget{constructor(e,t){super();this.url=e;this.instanceId=t;this.state="idle";this.hello=null;this.attempt=0;this.lastError="";this.pairingRequestId="";this.deviceId="";this.ws=null;this.pending=new Map;this.auth=null;this.lastSeq=null;this.lastTick=0;this.nextDelayHint=0;this.stopped=!1}start(e){this.auth=e,this.stopped=!1,this.attempt=0,clearTimeout(this.retryTimer),this.state==="unauthorized"&&(this.state="idle"),this.ws?this.ws.close(1e3,"reconnecting"):this.open()}stop(){this.stopped=!0,clearTimeout(this.retryTimer),this.ws&&this.ws.close(1e3,"bye"),this.setState("idle")}setState(e,t={}){this.state=e,this.emit("state",{state:e,...t})}emit(e,t){this.dispatchEvent(new CustomEvent(e,{detail:t}))}open(){this.setState("connecting",{attempt:this.attempt});let e;try{e=new WebSocket(this.url)}catch(a){this.lastError=String(a),this.scheduleReconnect();return}this.ws=e;let t=!1,s,n=a=>{t||e.readyState!==WebSocket.OPEN||(t=!0,clearTimeout(s),this.connect(e,a))};e.onopen=()=>{s=setTimeout(n,Ls)},e.onmessage=a=>{let c;try{c=JSON.parse(a.data)}catch{return}if(c?.type==="event"&&c.event==="connect.challenge"){n(typeof c.payload?.nonce=="string"?c.payload.nonce:void 0);return}this.onFrame(c)},e.onerror=()=>{this.lastError="connection error"},e.onclose=a=>{if(clearTimeout(s),this.ws===e){this.ws=null,clearInterval(this.watchdog);for(let[,c]of this.pending)clearTimeout(c.timer),c.reject(new H({code:w.UNAVAILABLE,message:"disconnected",retryable:!0}));this.pending.clear(),a.reason&&(this.lastError=`${a.code} ${a.reason}`),!(this.state==="unauthorized"||this.stopped)&&(this.setState("disconnected",{code:a.code,reason:a.reason||this.lastError}),this.scheduleReconnect())}}}async connect(e,t){let s=await $t();this.deviceId=s?.deviceId??"";let n=s?wt(s.deviceId,P):void 0,a=n??this.auth?.token,c={minProtocol:At,maxProtocol:At,client:{id:Tt,displayName:"Control UI",version:xs,platform:navigator.platform||"web",mode:"webchat",instanceId:this.instanceId},role:P,scopes:xt,caps:[],userAgent:navigator.userAgent,locale:navigator.language};if((a||this.auth?.password)&&(c.auth={...a?{token:a}:{},...this.auth?.password?{password:this.auth.password}:{}}),s){let l=Date.now(),h=yt({deviceId:s.deviceId,clientId:Tt,clientMode:"webchat",role:P,scopes:xt,signedAtMs:l,token:a??"",nonce:t});try{c.device={id:s.deviceId,publicKey:s.publicKey,signature:await bt(s,h),signedAt:l,...t?{nonce:t}:{}}}catch{this.deviceId=""}}if(e.readyState===WebSocket.OPEN)try{let l=await this.send(e,"connect",c,_t);s&&c.device&&l?.auth?.deviceToken&&kt(s.deviceId,l.auth.role||P,l.auth.deviceToken,l.auth.scopes),this.pairingRequestId="",this.hello=l,this.attempt=0,this.nextDelayHint=0,this.lastSeq=null,this.lastTick=Date.now();let h=l?.policy?.tickIntervalMs||3e4;clearInterval(this.watchdog),this.watchdog=setInterval(()=>{Date.now()-this.lastTick>2*h&&this.ws===e&&e.close(4e3,"tick timeout")},1e3),this.setState("connected"),this.emit("hello",l)}catch(l){let h=l,u=h.message||String(h);if(s&&n&&(this.auth?.token||this.auth?.password)&&!h.retryable&&h.code!==w.NOT_PAIRED){Ke(s.deviceId,P),this.lastError=u,e.close(1e3,"device token refused");return}if(h.code===w.NOT_PAIRED&&h.details?.requestId){this.pairingRequestId=String(h.details.requestId),this.lastError=u,this.attempt=0,this.nextDelayHint=Ms,this.emit("pairing",{requestId:this.pairingRequestId,deviceId:this.deviceId}),e.close(1e3,"pairing required");return}if(s&&n&&!this.auth?.token&&!this.auth?.password&&/^unauthorized/i.test(u)&&Ke(s.deviceId,P),!h.retryable&&/^unauthorized|device identity required|secure context/i.test(u)){this.lastError=u,this.setState("unauthorized",{reason:u}),e.close(1e3,"unauthorized");return}h.retryAfterMs&&(this.nextDelayHint=h.retryAfterMs),this.lastError=u,e.close(1e3,"connect failed")}}scheduleReconnect(){clearTimeout(this.retryTimer);let e=Math.min(Is,_s*2**this.attempt),t=Math.max(this.nextDelayHint,Math.round(e*(.5+Math.random()/2)));this.nextDelayHint=0,this.attempt++,this.emit("retry",{delay:t,attempt:this.attempt}),this.retryTimer=setTimeout(()=>this.open(),t)}onFrame(e){if(this.emit("frame",e),e?.type==="res"){let s=this.pending.get(e.id);if(!s)return;this.pending.delete(e.id),clearTimeout(s.timer),e.ok?s.resolve(e.payload):s.reject(new H(e.error));return}if(e?.type!=="event")return;typeof e.seq=="number"&&(this.lastSeq!==null&&e.seq>this.lastSeq+1&&this.emit("gap",{expected:this.lastSeq+1,received:e.seq}),this.lastSeq=e.seq),e.event==="tick"&&(this.lastTick=Date.now()),e.event==="shutdown"&&e.payload?.restartExpectedMs&&(this.nextDelayHint=e.payload.restartExpectedMs);let t={event:e.event,payload:e.payload,stateVersion:e.stateVersion,seq:e.seq};this.emit("event",t)}send(e,t,s,n){return new Promise((a,c)=>{let l=R(),h=setTimeout(()=>{this.pending.delete(l),c(new H({code:w.UNAVAILABLE,message:`${t}: timed out`,retryable:!0}))},n);this.pending.set(l,{resolve:a,reject:c,timer:h}),e.send(JSON.stringify({type:"req",id:l,method:t,params:s}))})}request(e,t={},s=_t){return this.state!=="connected"||!this.ws?Promise.reject(new H({code:w.UNAVAILABLE,message:"not connected",retryable:!0})):this.send(this.ws,e,t,s)}supports(e){let t=this.hello?.features?.methods;return!Array.isArray(t)||t.includes(e)}};var v=class extends E{constructor(){super(...arguments);this.active=!1;this.errors=new Map}createRenderRoot(){return this}connected(){}disconnected(){}onEvent(e){}shown(){}setError(e,t){t?this.errors.set(e,t):this.errors.delete(e),this.requestUpdate()}errorLine(e){let t=this.errors.get(e);if(!t)return d;let s=t.code===w.UNAVAILABLE;return o`<p id="${e}-error" class="error ${s?"soft":""}" role="alert">${t.message}</p>`}async call(e,t,s={}){try{let n=await this.gw.request(t,s);return this.setError(e,null),n}catch(n){this.setError(e,n);return}}};function b(r,i=Date.now()){if(!r)return"—";let e=Math.max(0,Math.round((i-r)/1e3));if(e<5)return"just now";if(e<60)return`${e}s ago`;let t=Math.round(e/60);if(t<60)return`${t}m ago`;let s=Math.round(t/60);return s<48?`${s}h ago`:`${Math.round(s/24)}d ago`}function be(r){if(r==null)return"—";let i=Math.floor(r/1e3),e=Math.floor(i/86400),t=Math.floor(i%86400/3600),s=Math.floor(i%3600/60);return e?`${e}d ${t}h`:t?`${t}h ${s}m`:s?`${s}m ${i%60}s`:`${i}s`}function q(r){return r?new Date(r).toLocaleString():"—"}function we(r){if(r==null)return"";if(typeof r=="string")return r;let i=r.content??r.text;return typeof i=="string"?i:Array.isArray(i)?i.filter(e=>e&&(e.type==="text"||typeof e.text=="string")).map(e=>e.text??"").join(""):""}var W=class extends v{constructor(){super(...arguments);this.health=null;this.healthVersion=0;this.presence=[];this.presenceVersion=0;this.nodes=[];this.pending=[];this.uptimeBase=null;this.busy=new Set;this.pairErrors=new Map}applyHello(e){this.healthVersion=0,this.presenceVersion=0,this.applyHealth(e?.health,e?.stateVersion?.health),this.applyPresence(e?.presence,e?.stateVersion?.presence),this.uptimeBase=e?.uptimeMs!=null?{ms:e.uptimeMs,at:Date.now()}:null}connected(){this.refreshHealth(),this.refreshPresence(),this.refreshNodes()}onEvent(e){let t=e.payload;switch(e.event){case"health":this.applyHealth(t,e.stateVersion?.health);break;case"presence":this.applyPresence(t?.presence,e.stateVersion?.presence);break;case"node.pair.requested":t&&!this.pending.some(s=>s.requestId===t.requestId)&&(this.pending=[t,...this.pending],this.requestUpdate());break;case"node.pair.resolved":this.pending=this.pending.filter(s=>s.requestId!==t?.requestId),this.requestUpdate(),this.refreshNodes();break}}async refreshHealth(){let e=await this.call("health","health");e&&this.applyHealth(e,null)}async refreshPresence(){let e=await this.call("presence","system-presence");e&&this.applyPresence(e,null)}async refreshNodes(){try{let[e,t]=await Promise.all([this.gw.request("node.list"),this.gw.request("node.pair.list")]),s=e?.nodes??[],n=new Set(s.map(a=>a.nodeId));for(let a of t?.paired??[])n.has(a.nodeId)||s.push({...a,paired:!0,connected:!1});this.nodes=s,this.pending=t?.pending??[],this.setError("nodes",null)}catch(e){this.setError("nodes",e)}}applyHealth(e,t){if(!(!e||typeof e!="object"||!("ok"in e))){if(t!=null){if(t<this.healthVersion)return;this.healthVersion=t}this.health=e,this.setError("health",null)}}applyPresence(e,t){if(Array.isArray(e)){if(t!=null){if(t<this.presenceVersion)return;this.presenceVersion=t}this.presence=e,this.setError("presence",null)}}async decide(e,t){this.busy.add(t),this.pairErrors.delete(t),this.requestUpdate();try{await this.gw.request(e,{requestId:t}),this.pending=this.pending.filter(s=>s.requestId!==t),this.refreshNodes()}catch(s){this.pairErrors.set(t,s.message)}this.busy.delete(t),this.requestUpdate()}render(){let e=this.health,t=e?.uptimeMs??(this.uptimeBase?this.uptimeBase.ms+(Date.now()-this.uptimeBase.at):null),s=(n,a,c="")=>o`<dt>${n}</dt><dd class=${c}>${a}</dd>`;return o`<div class="grid">
      <section id="health-card" class="card" aria-labelledby="health-title">
        <h2 id="health-title">Health <span id="health-badge" class="badge" data-ok=${String(!!e?.ok)}>${e?e.ok?"ok":"degraded":""}</span></h2>
        ${this.errorLine("health")}
        <dl id="health" class="kv">
          ${e?o`${s("Status",e.ok?"healthy":"degraded",e.ok?"good":"bad")} ${s("Uptime",be(t))}
              ${s("WhatsApp",e.web?.linked?"linked":"not linked",e.web?.linked?"good":"muted")}
              ${s("Telegram",e.telegram?.configured?"configured":"not configured",e.telegram?.configured?"good":"muted")}
              ${s("Sessions",String(e.sessions?.count??0))} ${e.connections!=null?s("Connections",String(e.connections)):d}
              ${s("Heartbeat",e.heartbeatSeconds?`every ${e.heartbeatSeconds}s`:"off")}
              ${e.config&&typeof e.config=="object"?s("Config",e.config.ok?"ok":e.config.error||"invalid",e.config.ok?"good":"bad"):d}
              ${s("Checked",b(e.ts))}`:d}
        </dl>
      </section>

      <section id="nodes-card" class="card" aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        ${this.errorLine("nodes")}
        <h3>Pending pairing <span id="pending-count" class="count">${this.pending.length}</span></h3>
        <p id="pending-empty" class="muted" ?hidden=${this.pending.length>0}>No node is waiting for approval.</p>
        <ul id="pending" class="pending">
          ${this.pending.map(n=>{let a=this.busy.has(n.requestId),c=this.pairErrors.get(n.requestId),l=n.displayName||n.nodeId;return o`<li class="pending-item" data-request-id=${n.requestId} data-node-id=${n.nodeId}>
              <div class="grow">
                <strong>${l}</strong>${n.isRepair?o`<span class="tag">repair</span>`:d}
                <div class="sub">${[n.platform,n.version,n.remoteIp,b(n.ts)].filter(Boolean).join(" · ")}</div>
                ${c?o`<div class="note error" role="alert">${c}</div>`:d}
              </div>
              <button class="primary approve" ?disabled=${a} aria-label="Approve ${l}" @click=${()=>this.decide("node.pair.approve",n.requestId)}>Approve</button>
              <button class="danger reject" ?disabled=${a} aria-label="Reject ${l}" @click=${()=>this.decide("node.pair.reject",n.requestId)}>Reject</button>
            </li>`})}
        </ul>
        <h3>Known nodes</h3>
        <p id="nodes-empty" class="muted" ?hidden=${this.nodes.length>0}>No paired or connected nodes.</p>
        <div class="scroll">
          <table id="nodes" class="table">
            <tbody>
              ${this.nodes.map(n=>o`<tr data-node-id=${n.nodeId}>
                  <td><strong>${n.displayName||n.nodeId}</strong><div class="sub mono">${n.nodeId}</div></td>
                  <td>${[n.platform,n.version].filter(Boolean).join(" · ")||"—"}</td>
                  <td><span class="dot ${n.connected?"on":"off"}"></span>${n.connected?"connected":"offline"}</td>
                  <td>${n.paired?"paired":"unpaired"}</td>
                  <td class="sub">${(n.caps||[]).join(", ")||"—"}</td>
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
              ${this.presence.map(n=>o`<tr class=${n.reason==="disconnect"?"gone":""}>
                  <td><strong>${n.host||n.instanceId||"—"}</strong>${n.text?o`<div class="sub">${n.text}</div>`:d}</td>
                  <td>${n.mode||"—"}</td>
                  <td>${[n.platform,n.deviceFamily].filter(Boolean).join(" · ")||"—"}</td>
                  <td>${n.version||"—"}</td>
                  <td>${n.ip||"local"}</td>
                  <td>${n.reason||"—"}</td>
                  <td title=${n.ts?new Date(n.ts).toISOString():""}>${b(n.ts)}</td>
                </tr>`)}
            </tbody>
          </table>
        </div>
      </section>
    </div>`}};customElements.define("cb-overview",W);function Lt(r){if(!r||r.eligible)return[];let i=[];r.disabled&&i.push("disabled in skills.entries"),r.blockedByAllowlist&&i.push("not in skills.allowBundled");let e=r.missing||{},t=s=>Array.isArray(s)?s.filter(Boolean):[];return t(e.bins).length&&i.push(`missing binary: ${t(e.bins).join(", ")}`),t(e.anyBins).length&&i.push(`needs one of: ${t(e.anyBins).join(", ")}`),t(e.env).length&&i.push(`missing env: ${t(e.env).join(", ")}`),t(e.config).length&&i.push(`config not set: ${t(e.config).join(", ")}`),t(e.os).length&&i.push(`only on: ${t(e.os).join(", ")}`),i.length||i.push("not eligible"),i}function Mt(r){let i=r.trim();if(i)try{return JSON.parse(i)}catch(e){throw new Error(`params are not valid JSON: ${e.message}`)}}var Rs=4e3;function X(r,i=Rs){let e;if(r==null)e="";else if(typeof r=="string")e=r;else if(typeof r=="object"&&Array.isArray(r.content))e=r.content.map(t=>typeof t?.text=="string"?t.text:t?.type==="image"?"[image]":JSON.stringify(t)).join(`
`);else try{e=JSON.stringify(r,null,2)}catch{e=String(r)}return e.length>i&&(e=e.slice(0,i)+`… (${e.length-i} more characters)`),e}function Rt(r){let i=/^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(r);return i?{mimeType:i[1],content:i[2]}:null}var It=5e6,Ee=8;function qt(r,i){let e=r.name||"the file";return(r.type||"").startsWith("image/")?r.size>It?`${e} is larger than ${It/1e6} MB`:r.size===0?`${e} is empty`:i>=Ee?`at most ${Ee} images per message`:"":`${e} is not an image`}function Ct(r,i){let e={},t=a=>(a??"").trim(),s=t(r.label);if(s.length>64)throw new Error("the label is longer than 64 characters");s!==(i?.label??"")&&(e.label=s||null);let n=t(r.model);return n!==Fe(i)&&n!==(i?.model??"")&&(e.model=n||null),t(r.thinking)!==(i?.thinkingLevel??"")&&(e.thinkingLevel=t(r.thinking)||null),t(r.verbose)!==(i?.verboseLevel??"")&&(e.verboseLevel=t(r.verbose)||null),e}function Fe(r){return r?.model?r.modelProvider&&!String(r.model).includes("/")?`${r.modelProvider}/${r.model}`:String(r.model):""}function Ut(r,i){let e={},t=(r.name??"").trim();if(!t)throw new Error("a name is required");if(t!==i?.name&&(e.name=t),r.every!=null&&i?.schedule?.kind==="every"){let s=Number(r.every);if(!(s>0))throw new Error("the interval must be a positive number of minutes");let n=Math.round(s*6e4);n!==i.schedule.everyMs&&(e.schedule={kind:"every",everyMs:n})}if(r.expr!=null&&i?.schedule?.kind==="cron"){let s=r.expr.trim();if(!s)throw new Error("a cron expression is required");let n=(r.tz??"").trim();(s!==i.schedule.expr||n!==(i.schedule.tz??""))&&(e.schedule={kind:"cron",expr:s,...n?{tz:n}:{}})}if(r.text!=null){let s=r.text.trim();if(!s)throw new Error("the text is required");let n=i?.payload||{};n.kind==="agentTurn"&&s!==n.message&&(e.payload={kind:"agentTurn",message:s}),n.kind==="systemEvent"&&s!==n.text&&(e.payload={kind:"systemEvent",text:s})}return e}var qs=200,Nt=500,Cs=50,Us=100,Y=class extends v{constructor(){super(...arguments);this.sessionKey="main";this.msgs=[];this.runs=new Map;this.status="";this.statusError=!1;this.draft="";this.sessions=[];this.attachments=[];this.attachError=""}setSession(e){this.sessionKey=e||"main",this.requestUpdate()}connected(){for(let e of this.activeRuns())this.finish(e,"error","connection lost during the reply");this.loadHistory(),this.active&&this.loadSessions()}shown(){this.loadSessions()}disconnected(){this.requestUpdate()}async loadSessions(){try{let e=await this.gw.request("sessions.list",{limit:Us,includeDerivedTitles:!0});this.sessions=e?.sessions??[],this.requestUpdate()}catch{this.sessions=[]}}async switchSession(e){e!==this.sessionKey&&(this.sessionKey=e,this.msgs=[],this.runs.clear(),this.requestUpdate(),await this.loadHistory())}async loadHistory(){let e=this.sessionKey;try{let t=await this.gw.request("chat.history",{sessionKey:e,limit:qs});if(e!==this.sessionKey)return;t?.sessionKey&&(this.sessionKey=t.sessionKey),this.msgs=[],this.runs.clear();let s=new Map;for(let n of t?.messages??[]){if(n?.role==="toolResult"){let u=s.get(n.toolCallId);u&&(u.result={content:n.content},u.isError=!!n.isError,u.done=!0);continue}let a=n?.role==="user"?"user":n?.role==="assistant"?"assistant":"system",c=we(n),l=[],h=[];if(Array.isArray(n?.content))for(let u of n.content){if(u?.type==="toolCall"&&u.id){let p={id:u.id,name:u.name||"tool",args:u.arguments,done:!1};s.set(u.id,p),l.push(p)}u?.type==="image"&&typeof u.data=="string"&&/^image\//.test(u.mimeType||"")&&h.push(`data:${u.mimeType};base64,${u.data}`)}(c||l.length||h.length)&&this.msgs.push({role:a,text:c,tools:l.length?l:void 0,images:h.length?h:void 0})}this.setStatus("")}catch(t){this.setStatus(`Chat history unavailable: ${t.message}`,!1)}}setStatus(e,t=!1){this.status=e,this.statusError=t,this.requestUpdate()}activeRuns(){return[...this.runs.values()].filter(e=>e.state==="pending"||e.state==="streaming")}push(e){this.msgs.push(e),this.msgs.length>Nt&&this.msgs.splice(0,this.msgs.length-Nt)}async send(){let e=this.querySelector("#chat-input"),t=e.value.trim(),s=this.attachments;if(!t&&!s.length||this.gw.state!=="connected")return;e.value="",this.draft="",this.attachments=[],this.attachError="",this.push({role:"user",text:t,images:s.length?s.map(l=>l.dataUrl):void 0});let n=R(),a={role:"assistant",text:"",runId:n,state:"pending"};this.push(a),this.runs.set(n,a),this.requestUpdate();let c={sessionKey:this.sessionKey,message:t,idempotencyKey:n};s.length&&(c.attachments=s.map(l=>({type:"image",mimeType:l.mimeType,fileName:l.name,content:l.content})));try{await this.gw.request("chat.send",c)}catch(l){this.finish(a,"error",l.message)}}async abort(){for(let e of this.activeRuns())try{await this.gw.request("chat.abort",{sessionKey:this.sessionKey,runId:e.runId})}catch(t){this.setStatus(`abort failed: ${t.message}`,!0)}}addFiles(e){let t=0;this.attachError="";for(let s of e){let n=qt(s,this.attachments.length+t);if(n){this.attachError=n;continue}t++;let a=new FileReader;a.onload=()=>{let c=String(a.result||""),l=Rt(c);l?this.attachments.length<Ee&&(this.attachments=[...this.attachments,{name:s.name||"image",dataUrl:c,...l}]):this.attachError=`${s.name||"the image"} could not be read`,this.requestUpdate()},a.onerror=()=>{this.attachError=`${s.name||"the image"} could not be read`,this.requestUpdate()},a.readAsDataURL(s)}this.requestUpdate()}onPaste(e){let t=[...e.clipboardData?.files??[]].filter(s=>s.type.startsWith("image/"));t.length&&(e.preventDefault(),this.addFiles(t))}onEvent(e){if(e.event==="agent")return this.onAgent(e.payload);if(e.event!=="chat")return;let t=e.payload;if(!t||t.sessionKey!==this.sessionKey&&!this.runs.has(t.runId))return;let s=this.runFor(t.runId);if(!(s.state==="final"||s.state==="error"||s.state==="aborted")){switch(t.state){case"delta":{let n=we(t.message);n.length>=s.text.length&&(s.text=n),s.state="streaming";break}case"final":{let n=we(t.message);n&&(s.text=n),this.finish(s,"final");break}case"error":this.finish(s,"error",t.errorMessage||"the run failed");break;case"aborted":this.finish(s,"aborted","stopped");break}this.requestUpdate()}}runFor(e){let t=this.runs.get(e);return t||(t={role:"assistant",text:"",runId:e,state:"pending"},this.push(t),this.runs.set(e,t)),t}onAgent(e){if(!e||e.stream!=="tool"||!e.data||!this.runs.has(e.runId)&&(!e.sessionKey||e.sessionKey!==this.sessionKey))return;let t=this.runFor(e.runId),s=e.data,n=String(s.toolCallId||"");if(!n)return;t.tools??=[];let a=t.tools.find(c=>c.id===n);if(!a){if(t.tools.length>=Cs)return;a={id:n,name:String(s.name||"tool"),done:!1},t.tools.push(a)}s.phase==="start"?a.args=s.args:s.phase==="update"?a.partial=s.partialResult:s.phase==="result"&&(a.result=s.result,a.isError=!!s.isError,a.done=!0),t.state==="pending"&&(t.state="streaming"),this.requestUpdate()}finish(e,t,s){e.state=t,e.note=s,this.requestUpdate()}updated(){let e=this.querySelector("#chat-log");e&&(e.scrollTop=e.scrollHeight)}onKey(e){e.key==="Enter"&&!e.shiftKey&&!e.isComposing&&(e.preventDefault(),this.send())}toolCard(e){let t=e.done?e.result:e.partial;return o`<details class="tool-card ${e.done?e.isError?"failed":"done":"running"}" data-tool-call-id=${e.id} data-tool=${e.name}>
      <summary><span class="tool-name mono">${e.name}</span>
        <span class="tool-state">${e.done?e.isError?"failed":"done":"running…"}</span></summary>
      <div class="sub">Input</div><pre class="tool-args out">${X(e.args)||"—"}</pre>
      ${t!==void 0?o`<div class="sub">${e.done?"Result":"Output so far"}</div><pre class="tool-result out">${X(t)}</pre>`:d}
    </details>`}render(){let e=this.activeRuns().length>0,s=this.sessions.map(n=>n.key).includes(this.sessionKey)?this.sessions:[{key:this.sessionKey},...this.sessions];return o`<section id="chat-card" class="card" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat <small id="chat-session" class="mono muted">${this.sessionKey}</small>
        <span class="spacer"></span>
        <label class="inline picker"><span class="visually-hidden">Session</span>
          <select id="chat-session-picker" @change=${n=>this.switchSession(n.target.value)}>
            ${s.map(n=>o`<option value=${n.key} ?selected=${n.key===this.sessionKey}>${n.displayName||n.derivedTitle||n.label||n.key}</option>`)}
          </select></label></h2>
      <div id="chat-log" class="chat-log" aria-live="polite" role="log" tabindex="0">
        ${this.msgs.map(n=>o`<div class="msg ${n.role} ${n.state??""}" data-run-id=${n.runId??d}>
            <div class="who">${n.role}</div>
            ${n.images?.length?o`<div class="msg-images">${n.images.map(a=>o`<img class="msg-image" src=${a} alt="attached image">`)}</div>`:d}
            ${n.tools?.length?o`<div class="tool-cards">${n.tools.map(a=>this.toolCard(a))}</div>`:d}
            <div class="text">${n.text}</div>
            ${n.note?o`<div class="note ${n.state==="error"?"error":""}">${n.note}</div>`:d}
          </div>`)}
      </div>
      <p id="chat-status" class="${this.statusError?"error":"muted"}">${this.status}</p>
      ${this.attachments.length?o`<ul id="chat-attachments" class="attachments plain">
            ${this.attachments.map((n,a)=>o`<li class="attachment"><img src=${n.dataUrl} alt=${n.name}>
                <button type="button" class="ghost remove-attachment" aria-label="Remove ${n.name}"
                  @click=${()=>(this.attachments=this.attachments.filter((c,l)=>l!==a),this.requestUpdate())}>✕</button></li>`)}
          </ul>`:d}
      ${this.attachError?o`<p id="chat-attach-error" class="error" role="alert">${this.attachError}</p>`:d}
      <form id="chat-form" class="chat-form" @submit=${n=>(n.preventDefault(),this.send())}>
        <label class="grow"><span class="visually-hidden">Message</span>
          <textarea id="chat-input" rows="2" .value=${this.draft} @input=${n=>this.draft=n.target.value}
            @keydown=${this.onKey} @paste=${this.onPaste} placeholder="Message the agent (Enter to send, Shift+Enter for a new line)"></textarea>
        </label>
        <label class="attach-label" title="Attach images"><span aria-hidden="true">Image</span><span class="visually-hidden">Attach images</span>
          <input id="chat-attach" type="file" accept="image/*" multiple class="visually-hidden"
            @change=${n=>{let a=n.target;this.addFiles([...a.files??[]]),a.value=""}}></label>
        <button id="chat-send" type="submit" class="primary" ?disabled=${this.gw?.state!=="connected"}>Send</button>
        <button id="chat-abort" type="button" class="danger" ?hidden=${!e} @click=${()=>this.abort()}>Stop</button>
      </form>
    </section>`}};customElements.define("cb-chat",Y);var ke=["trace","debug","info","warn","error","fatal"];function Ot(r){let i=String(r??"").toLowerCase();return i==="warning"?"warn":i==="err"?"error":ke.includes(i)?i:""}function Pt(r){if(typeof r=="string"){try{let i=JSON.parse(r);if(i&&typeof i.subsystem=="string")return i.subsystem}catch{}return""}return r&&typeof r=="object"&&typeof r.subsystem=="string"?r.subsystem:""}function Ht(r){let i;try{i=JSON.parse(r)}catch{return{raw:r,time:"",level:"",subsystem:"",message:r}}if(!i||typeof i!="object"||Array.isArray(i))return{raw:r,time:"",level:"",subsystem:"",message:r};if(i._meta||"1"in i){let h=i._meta??{};return{raw:r,time:String(i.time??h.date??""),level:Ot(h.logLevelName),subsystem:Pt(i[0])||Pt(h.name),message:typeof i[1]=="string"?i[1]:JSON.stringify(i[1]??"")}}let{time:e,level:t,msg:s,subsystem:n,component:a,...c}=i,l=Object.entries(c).map(([h,u])=>`${h}=${typeof u=="string"?u:JSON.stringify(u)}`).join(" ");return{raw:r,time:String(e??""),level:Ot(t),subsystem:String(n??a??""),message:`${s??""}${l?" "+l:""}`}}function Dt(r,i){if(r.level&&!i.levels.has(r.level)||i.subsystem&&r.subsystem!==i.subsystem)return!1;let e=i.text.trim().toLowerCase();return!(e&&!`${r.subsystem} ${r.message}`.toLowerCase().includes(e))}var Ns=2e3,Kt=2e3,Q=class extends v{constructor(){super(...arguments);this.cursor=null;this.lines=[];this.subsystems=new Set;this.file="";this.follow=!0;this.truncated=!1;this.filter={levels:new Set(ke.filter(e=>e!=="trace")),subsystem:"",text:""}}connected(){clearTimeout(this.timer),this.cursor=null,this.lines=[],this.poll()}disconnected(){clearTimeout(this.timer)}async poll(){if(clearTimeout(this.timer),this.gw.state!=="connected")return;let e={limit:500,maxBytes:25e4};this.cursor!=null&&(e.cursor=this.cursor);try{let t=await this.gw.request("logs.tail",e);t.reset&&(this.lines=[]),this.cursor=t.cursor,this.file=t.file||"",this.truncated=!!t.truncated;for(let s of t.lines??[]){let n=Ht(s);n.subsystem&&this.subsystems.add(n.subsystem),this.lines.push(n)}this.lines.length>Kt&&this.lines.splice(0,this.lines.length-Kt),this.setError("logs",null)}catch(t){this.setError("logs",t);let s=t;if(s.code!==w.UNAVAILABLE||/no log file/.test(s.message))return}this.gw.state==="connected"&&(this.timer=setTimeout(()=>this.poll(),this.truncated?0:Ns))}updated(){let e=this.querySelector("#logs");e&&this.follow&&(e.scrollTop=e.scrollHeight)}onScroll(e){let t=e.target,s=t.scrollHeight-t.scrollTop-t.clientHeight<8;this.follow!==s&&(this.follow=s,this.requestUpdate())}toggleLevel(e,t){t?this.filter.levels.add(e):this.filter.levels.delete(e),this.requestUpdate()}render(){let e=this.filter,t=this.lines.filter(s=>Dt(s,e));return o`<section id="logs-card" class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs <small id="logs-file" class="mono muted">${this.file}</small></h2>
      <div class="row logs-filters">
        <fieldset id="logs-levels" class="chips">
          <legend class="sr-only">Levels</legend>
          ${ke.map(s=>o`<label class="chip lvl-${s}"><input id="logs-level-${s}" type="checkbox" .checked=${e.levels.has(s)}
              @change=${n=>this.toggleLevel(s,n.target.checked)}> ${s}</label>`)}
        </fieldset>
        <label class="inline">Subsystem
          <select id="logs-subsystem" @change=${s=>(e.subsystem=s.target.value,this.requestUpdate())}>
            <option value="" ?selected=${!e.subsystem}>all</option>
            ${[...this.subsystems].sort().map(s=>o`<option value=${s} ?selected=${e.subsystem===s}>${s}</option>`)}
          </select></label>
        <label class="inline grow">Filter
          <input id="logs-filter" type="search" .value=${e.text} placeholder="text in the line"
            @input=${s=>(e.text=s.target.value,this.requestUpdate())}></label>
        <label class="inline"><input id="logs-follow" type="checkbox" .checked=${this.follow}
          @change=${s=>(this.follow=s.target.checked,this.requestUpdate())}> follow</label>
      </div>
      ${this.errorLine("logs")}
      <p class="sub" id="logs-count" aria-live="polite">${t.length} of ${this.lines.length} lines${t.length<this.lines.length?" (filtered)":""}</p>
      <div id="logs" class="logs mono" role="log" tabindex="0" aria-label="Log lines" @scroll=${this.onScroll}>
        ${t.map(s=>o`<div class="line ${s.level}" data-level=${s.level||d}>${s.time?o`<span class="t">${new Date(s.time).toLocaleTimeString()}</span> `:d}${s.level?o`<span class="lvl">${s.level.toUpperCase().padEnd(5)}</span> `:d}${s.subsystem?o`<span class="sys">[${s.subsystem}]</span> `:d}${s.message}</div>`)}
      </div>
    </section>`}};customElements.define("cb-logs",Q);var Os=["off","minimal","low","medium","high","xhigh"],Ps=["off","on","full"],Hs=2e3,Ds=12,Z=class extends v{constructor(){super(...arguments);this.mainKey="";this.rows=[];this.path="";this.armed="";this.notice="";this.editing="";this.preview=null;this.models=[];this.lastRefresh=0;this.timer=null}connected(){this.active&&this.refresh()}shown(){this.refresh(),this.loadModels()}onEvent(e){if(e.event!=="chat"||!this.active||!["final","error","aborted"].includes(e.payload?.state))return;let t=this.lastRefresh+Hs-Date.now();t<=0?this.refresh():this.timer||(this.timer=setTimeout(()=>(this.timer=null,void this.refresh()),t))}async loadModels(){try{this.models=(await this.gw.request("models.list",{}))?.models??[],this.requestUpdate()}catch{this.models=[]}}async save(e,t){e.preventDefault();let s=Object.fromEntries(new FormData(e.target).entries()),n;try{n=Ct(s,t)}catch(c){this.setError("session-edit",{message:c.message,code:"INVALID_REQUEST"});return}if(!Object.keys(n).length){this.notice="Nothing changed.",this.requestUpdate();return}await this.call("session-edit","sessions.patch",{key:t.key,...n})&&(this.notice=`Session ${t.key} was updated (${Object.keys(n).join(", ")}).`,this.editing=""),await this.refresh()}async toggleEditor(e){if(this.editing=this.editing===e?"":e,this.preview=null,this.requestUpdate(),!this.editing)return;let s=(await this.call("session-edit","sessions.preview",{keys:[e],limit:Ds}))?.previews?.[0];s&&this.editing===e&&(this.preview={key:e,status:s.status,items:s.items??[]}),this.requestUpdate()}async compact(e){let t=await this.call("session-edit","sessions.compact",{key:e});t&&(this.notice=t.compacted?`Session ${e} was compacted (${t.kept??"?"} messages kept).`:`Nothing to compact${t.reason?`: ${t.reason}`:""}.`),await this.refresh()}async refresh(){this.lastRefresh=Date.now();let e=await this.call("sessions","sessions.list",{limit:200,includeDerivedTitles:!0});e&&(this.rows=e.sessions??[],this.path=e.path??"",this.requestUpdate())}async act(e,t){let s=`${e}:${t}`;if(this.armed!==s){this.armed=s,this.requestUpdate();return}this.armed="",await this.call("sessions",e==="reset"?"sessions.reset":"sessions.delete",{key:t})&&(this.notice=e==="reset"?`Session ${t} was reset.`:`Session ${t} was deleted.`),await this.refresh()}editor(e){let t=Fe(e),s=this.preview;return o`<tr class="session-editor" data-editor-for=${e.key}><td colspan="6">
      ${s&&s.key===e.key?o`<div class="session-preview"><h3>Last messages</h3>
            ${s.items.length?o`<ul class="plain">${s.items.map(n=>o`<li class="preview-item ${n.role}"><span class="tag">${n.role}</span> ${n.text}</li>`)}</ul>`:o`<p class="muted">${s.status==="missing"?"No transcript yet.":"Nothing to show."}</p>`}</div>`:d}
      <form class="form-grid session-form" @submit=${n=>this.save(n,e)}>
        <label>Label <input name="label" maxlength="64" .value=${e.label??""} placeholder="none"></label>
        <label>Model <input name="model" list="session-models" .value=${t} placeholder="configured default"></label>
        <datalist id="session-models">${this.models.map(n=>o`<option value="${n.provider}/${n.id}">${n.name??n.id}</option>`)}</datalist>
        <label>Thinking <select name="thinking">
          <option value="" ?selected=${!e.thinkingLevel}>default</option>
          ${Os.map(n=>o`<option value=${n} ?selected=${e.thinkingLevel===n}>${n}</option>`)}</select></label>
        <label>Verbose <select name="verbose">
          <option value="" ?selected=${!e.verboseLevel}>default</option>
          ${Ps.map(n=>o`<option value=${n} ?selected=${e.verboseLevel===n}>${n}</option>`)}</select></label>
        <div class="row">
          <button type="submit" class="primary save">Save</button>
          <button type="button" class="compact" aria-label="Compact ${e.key}" @click=${()=>this.compact(e.key)}>Compact transcript</button>
          <button type="button" class="ghost" @click=${()=>(this.editing="",this.requestUpdate())}>Close</button>
        </div>
      </form></td></tr>`}render(){let e=(t,s)=>{let n=this.armed===`${t}:${s}`,a=t==="delete"&&s===this.mainKey;return o`<button class="${t==="delete"?"danger":""} ${t}" data-key=${s} aria-label="${n?"Confirm ":""}${t} ${s}"
        ?disabled=${a} title=${a?"The main session cannot be deleted; reset it instead.":""}
        @click=${()=>this.act(t,s)}>${n?`Confirm ${t}`:t==="reset"?"Reset":"Delete"}</button>`};return o`<section id="sessions-card" class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions <span class="count">${this.rows.length}</span>
        <span class="spacer"></span><button id="sessions-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      <p class="sub mono">${this.path}</p>
      ${this.errorLine("sessions")}
      ${this.notice?o`<p class="muted" role="status">${this.notice}</p>`:d}
      ${this.errorLine("session-edit")}
      <p class="muted" ?hidden=${this.rows.length>0}>No sessions yet.</p>
      <div class="scroll">
        <table id="sessions" class="table">
          <thead><tr><th>Session</th><th>Kind</th><th>Model</th><th>Tokens</th><th>Updated</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.rows.map(t=>o`<tr data-key=${t.key}>
                <td><strong>${t.displayName||t.derivedTitle||t.label||t.key}</strong><div class="sub mono">${t.key}</div>
                  ${t.label||t.thinkingLevel||t.verboseLevel?o`<div class="sub session-settings">${[t.label?`label ${t.label}`:"",t.thinkingLevel?`thinking ${t.thinkingLevel}`:"",t.verboseLevel?`verbose ${t.verboseLevel}`:""].filter(Boolean).join(" · ")}</div>`:d}
                  ${t.lastMessagePreview?o`<div class="sub">${t.lastMessagePreview}</div>`:d}</td>
                <td>${t.kind||"—"}${t.channel?o`<div class="sub">${t.channel}</div>`:d}</td>
                <td>${t.model||"—"}</td>
                <td>${t.totalTokens??"—"}</td>
                <td>${b(t.updatedAt)}</td>
                <td class="actions"><button class="edit" aria-label="Edit ${t.key}" aria-expanded=${String(this.editing===t.key)}
                  @click=${()=>this.toggleEditor(t.key)}>Edit</button>
                  ${e("reset",t.key)} ${e("delete",t.key)}</td>
              </tr>
              ${this.editing===t.key?this.editor(t):d}`)}
          </tbody>
        </table>
      </div>
    </section>`}};customElements.define("cb-sessions",Z);function Ft(r){if(!r)return"—";if(r.kind==="cron")return`cron ${r.expr}${r.tz?` (${r.tz})`:""}`;if(r.kind==="every"){let i=r.everyMs;return i%36e5===0?`every ${i/36e5}h`:i%6e4===0?`every ${i/6e4}m`:`every ${Math.round(i/1e3)}s`}return r.kind==="at"?`at ${q(r.atMs)}`:JSON.stringify(r)}function jt(r){let i=(r.name||"").trim();if(!i)throw new Error("a name is required");let e;switch(r.scheduleKind){case"every":{let n=Number(r.every);if(!(n>0))throw new Error("the interval must be a positive number of minutes");e={kind:"every",everyMs:Math.round(n*6e4)};break}case"at":{let n=Date.parse(r.at);if(Number.isNaN(n))throw new Error("the time is not a valid date");e={kind:"at",atMs:n};break}default:if(!r.expr?.trim())throw new Error("a cron expression is required");e={kind:"cron",expr:r.expr.trim(),...r.tz?.trim()?{tz:r.tz.trim()}:{}}}let t=(r.text||"").trim();if(!t)throw new Error("the text is required");let s=r.payloadKind==="agentTurn";return{name:i,enabled:!0,schedule:e,sessionTarget:s?"isolated":"main",wakeMode:r.wakeMode==="now"?"now":"next-heartbeat",payload:s?{kind:"agentTurn",message:t}:{kind:"systemEvent",text:t}}}var ee=class extends v{constructor(){super(...arguments);this.jobs=[];this.runsFor="";this.runs=[];this.formError="";this.scheduleKind="every";this.notice="";this.busy=new Set;this.editing="";this.editError=""}connected(){this.active&&this.refresh()}shown(){this.refresh()}onEvent(e){e.event!=="cron"||!this.active||(this.refresh(),this.runsFor&&e.payload?.jobId===this.runsFor&&this.loadRuns(this.runsFor))}async refresh(){let e=await this.call("cron","cron.list",{includeDisabled:!0});e&&(this.jobs=e.jobs??[],this.requestUpdate())}async loadRuns(e){this.runsFor=e;let t=await this.call("cron-runs","cron.runs",{id:e,limit:50});this.runs=t?.entries??[],this.requestUpdate()}async add(e){e.preventDefault();let t=e.target,s=Object.fromEntries(new FormData(t).entries()),n;try{n=jt(s)}catch(c){this.formError=c.message,this.requestUpdate();return}this.formError="",await this.call("cron-add","cron.add",n)&&(t.reset(),this.scheduleKind="every",this.notice=`Added ${n.name}.`,await this.refresh())}async run(e){this.busy.add(e),this.requestUpdate();let t=await this.call("cron","cron.run",{id:e,mode:"force"});this.busy.delete(e),t&&(this.notice=t.ran?"The job ran.":`The job did not run${t.reason?`: ${t.reason}`:""}.`),await this.refresh(),await this.loadRuns(e)}async setEnabled(e,t){this.busy.add(e.id),this.requestUpdate();let s=await this.call("cron","cron.update",{id:e.id,patch:{enabled:t}});this.busy.delete(e.id),s&&(this.notice=`${e.name} ${t?"enabled":"disabled"}.`),await this.refresh()}async saveEdit(e,t){e.preventDefault();let s=Object.fromEntries(new FormData(e.target).entries()),n;try{n=Ut(s,t)}catch(c){this.editError=c.message,this.requestUpdate();return}if(this.editError="",!Object.keys(n).length){this.editing="",this.notice="Nothing changed.",this.requestUpdate();return}await this.call("cron-edit","cron.update",{id:t.id,patch:n})&&(this.editing="",this.notice=`Saved ${n.name??t.name}.`),await this.refresh()}editor(e){let t=e.schedule||{},s=e.payload?.kind==="agentTurn"?e.payload.message:e.payload?.text;return o`<tr class="cron-editor" data-editor-for=${e.id}><td colspan="5">
      <form class="form-grid cron-edit" @submit=${n=>this.saveEdit(n,e)}>
        <label>Name <input name="name" class="edit-name" required maxlength="200" .value=${e.name??""}></label>
        ${t.kind==="every"?o`<label>Minutes <input name="every" class="edit-every" type="number" min="0.1" step="any" .value=${String(t.everyMs/6e4)}></label>`:d}
        ${t.kind==="cron"?o`<label>Expression <input name="expr" .value=${t.expr??""}></label><label>Time zone <input name="tz" .value=${t.tz??""}></label>`:d}
        ${s!=null?o`<label>Text <input name="text" class="edit-text" .value=${s}></label>`:d}
        <div class="row"><button type="submit" class="primary save">Save</button>
          <button type="button" class="ghost" @click=${()=>(this.editing="",this.editError="",this.requestUpdate())}>Cancel</button></div>
        ${this.editError?o`<p class="error" role="alert">${this.editError}</p>`:d}
        ${this.errorLine("cron-edit")}
      </form></td></tr>`}async removeJob(e){let t=await this.call("cron","cron.remove",{id:e});t&&(this.notice=t.removed?"Removed.":"The job was already gone."),this.runsFor===e&&(this.runsFor=""),await this.refresh()}render(){let e=this.jobs.find(t=>t.id===this.runsFor);return o`<section id="cron-card" class="card" aria-labelledby="cron-title">
      <h2 id="cron-title">Cron jobs <span class="count">${this.jobs.length}</span>
        <span class="spacer"></span><button id="cron-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("cron")}
      ${this.notice?o`<p id="cron-notice" class="muted" role="status">${this.notice}</p>`:d}
      <p class="muted" ?hidden=${this.jobs.length>0}>No jobs.</p>
      <div class="scroll">
        <table id="cron-jobs" class="table">
          <thead><tr><th>Job</th><th>Schedule</th><th>Next</th><th>Last</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.jobs.map(t=>o`<tr data-job-id=${t.id} class=${t.enabled?"":"gone"}>
                <td><strong>${t.name}</strong><div class="sub">${t.payload?.kind==="agentTurn"?`agent: ${t.payload.message}`:t.payload?.text}</div></td>
                <td>${Ft(t.schedule)}${t.enabled?d:o`<div class="sub">disabled</div>`}</td>
                <td>${q(t.state?.nextRunAtMs)}</td>
                <td>${t.state?.lastStatus??"—"}<div class="sub">${b(t.state?.lastRunAtMs)}</div></td>
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
              ${this.editing===t.id?this.editor(t):d}`)}
          </tbody>
        </table>
      </div>
      ${this.runsFor?o`<h3>Runs of ${e?.name??this.runsFor}</h3>
            ${this.errorLine("cron-runs")}
            <p class="muted" ?hidden=${this.runs.length>0}>No runs yet.</p>
            <ul id="cron-runs" class="plain">
              ${this.runs.map(t=>o`<li class="run-entry ${t.status}">${q(t.runAtMs??t.ts)} — <strong>${t.status??t.action}</strong>
                ${t.durationMs!=null?` (${t.durationMs} ms)`:""} ${t.error?o`<span class="error">${t.error}</span>`:""} ${t.summary??""}</li>`)}
            </ul>`:d}
    </section>
    <section id="cron-add-card" class="card" aria-labelledby="cron-add-title">
      <h2 id="cron-add-title">Add a job</h2>
      <form id="cron-add" class="form-grid" @submit=${this.add}>
        <label>Name <input name="name" id="cron-name" required maxlength="200"></label>
        <label>Schedule
          <select name="scheduleKind" id="cron-kind" @change=${t=>(this.scheduleKind=t.target.value,this.requestUpdate())}>
            <option value="every">every N minutes</option><option value="cron">cron expression</option><option value="at">once, at a time</option>
          </select></label>
        ${this.scheduleKind==="every"?o`<label>Minutes <input name="every" id="cron-every" type="number" min="0.1" step="any" value="60"></label>`:d}
        ${this.scheduleKind==="cron"?o`<label>Expression <input name="expr" id="cron-expr" placeholder="0 7 * * *"></label><label>Time zone <input name="tz" id="cron-tz" placeholder="Europe/Berlin"></label>`:d}
        ${this.scheduleKind==="at"?o`<label>At <input name="at" id="cron-at" type="datetime-local"></label>`:d}
        <label>Does
          <select name="payloadKind" id="cron-payload">
            <option value="systemEvent">system event in the main session</option><option value="agentTurn">agent turn in its own session</option>
          </select></label>
        <label>Text <input name="text" id="cron-text" required></label>
        <label>Wake <select name="wakeMode" id="cron-wake"><option value="next-heartbeat">at the next heartbeat</option><option value="now">now</option></select></label>
        <div><button id="cron-add-submit" type="submit" class="primary">Add job</button></div>
        ${this.formError?o`<p class="error" role="alert">${this.formError}</p>`:d}
        ${this.errorLine("cron-add")}
      </form>
    </section>`}};customElements.define("cb-cron",ee);var Bt=["deny","allowlist","full"],Ks=["off","on-miss","always"],Fs=/changed since last load|base ?hash/i;function Vt(r){return JSON.parse(JSON.stringify(r))}var te=class extends v{constructor(){super(...arguments);this.items=[];this.resolved=[];this.busy=new Set;this.onCount=()=>{};this.target="gateway";this.nodes=[];this.snap=null;this.draft=null;this.agent="main";this.dirtyList=!1;this.listConflict=!1;this.listNotice=""}connected(){this.active&&this.loadList()}shown(){this.dirtyList||this.loadList()}async loadList(){if(this.gw.supports("node.list")){let t=await this.gw.request("node.list",{}).catch(()=>null);this.nodes=(t?.nodes??[]).filter(s=>s.connected&&(s.commands??[]).includes("system.execApprovals.get"))}let e=this.target==="gateway"?await this.call("allowlist","exec.approvals.get"):await this.call("allowlist","exec.approvals.node.get",{nodeId:this.target});e&&(this.snap=e,this.draft=Vt(e.file??{version:1}),this.dirtyList=!1,this.listConflict=!1,this.listNotice="",this.errors.delete("allowlist-save")),this.requestUpdate()}agentEntry(e){let t=this.draft;if(!t)return{};if(!t.agents){if(!e)return{};t.agents={}}return!t.agents[this.agent]&&e&&(t.agents[this.agent]={}),t.agents[this.agent]??{}}change(e){e(this.agentEntry(!0)),this.dirtyList=!0,this.listNotice="",this.requestUpdate()}async saveList(){if(!this.snap||!this.draft)return;let e={file:this.draft,baseHash:this.snap.hash};this.target!=="gateway"&&(e.nodeId=this.target);try{let t=await this.gw.request(this.target==="gateway"?"exec.approvals.set":"exec.approvals.node.set",e);this.snap=t,this.draft=Vt(t.file??{version:1}),this.dirtyList=!1,this.listConflict=!1,this.listNotice="Saved.",this.setError("allowlist-save",null)}catch(t){let s=`${t.message} ${JSON.stringify(t.details??"")}`;this.listConflict=Fs.test(s),this.setError("allowlist-save",t)}this.requestUpdate()}connectedCallback(){super.connectedCallback(),this.clock=setInterval(()=>this.expire(),1e3)}disconnectedCallback(){super.disconnectedCallback(),clearInterval(this.clock)}expire(){let e=Date.now(),t=this.items.length;this.items=this.items.filter(s=>!s.expiresAtMs||s.expiresAtMs>e),this.items.length!==t&&this.onCount(this.items.length),this.items.length&&this.requestUpdate()}onEvent(e){let t=e.payload;if(e.event==="exec.approval.requested"&&t?.id)this.items.some(s=>s.id===t.id)||(this.items=[...this.items,t]);else if(e.event==="exec.approval.resolved"&&t?.id){let s=this.items.find(n=>n.id===t.id);this.items=this.items.filter(n=>n.id!==t.id),s&&this.remember(s,t.decision,t.resolvedBy)}else return;this.onCount(this.items.length),this.requestUpdate()}remember(e,t,s){this.resolved.some(n=>n.id===e.id)||(this.resolved=[{id:e.id,command:e.request?.command,decision:t,by:s},...this.resolved].slice(0,20))}async resolve(e,t){this.busy.add(e),this.requestUpdate();let s=await this.call("approvals","exec.approval.resolve",{id:e,decision:t});if(this.busy.delete(e),s){let n=this.items.find(a=>a.id===e);this.items=this.items.filter(a=>a.id!==e),n&&this.remember(n,t,"you"),this.onCount(this.items.length)}this.requestUpdate()}render(){let e=Date.now();return o`<section id="approvals-card" class="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">Exec approvals <span id="approvals-count" class="count">${this.items.length}</span></h2>
      ${this.errorLine("approvals")}
      <p class="muted" ?hidden=${this.items.length>0}>No command is waiting for approval. Prompts appear here live.</p>
      <ul id="approvals" class="pending">
        ${this.items.map(t=>{let s=t.request??{},n=this.busy.has(t.id),a=t.expiresAtMs?Math.max(0,Math.round((t.expiresAtMs-e)/1e3)):null;return o`<li class="pending-item approval" data-approval-id=${t.id}>
            <div class="grow">
              <code class="cmd">${s.command}</code>
              <div class="sub">${[s.host&&`on ${s.host}`,s.cwd&&`in ${s.cwd}`,s.agentId&&`agent ${s.agentId}`,s.sessionKey,s.security&&`security ${s.security}`].filter(Boolean).join(" · ")}</div>
              ${a!=null?o`<div class="sub">expires in ${a}s</div>`:d}
            </div>
            <div class="btns" role="group" aria-label="Answer for ${s.command}">
              <button class="primary allow-once" ?disabled=${n} @click=${()=>this.resolve(t.id,"allow-once")}>Allow once</button>
              <button class="allow-always" ?disabled=${n} @click=${()=>this.resolve(t.id,"allow-always")}>Always allow</button>
              <button class="danger deny" ?disabled=${n} @click=${()=>this.resolve(t.id,"deny")}>Deny</button>
            </div>
          </li>`})}
      </ul>
      ${this.resolved.length?o`<h3>Recently answered</h3>
            <ul id="approvals-done" class="plain">
              ${this.resolved.map(t=>o`<li data-approval-id=${t.id}><code>${t.command}</code> — ${t.decision}${t.by?` (by ${t.by})`:""}</li>`)}
            </ul>`:d}
    </section>
    ${this.renderAllowlist()}`}renderAllowlist(){let e=this.draft,t=[...new Set(["main","*",...Object.keys(e?.agents??{})])],s=this.agentEntry(!1),n=s.allowlist??[],a=e?.defaults??{},c=(h,u,p,f)=>o`<label class="inline">${f}
      <select id=${h} @change=${g=>this.change(y=>{let A=g.target.value;A?y[u]=A:delete y[u]})}>
        <option value="" ?selected=${!s[u]}>inherit (${a[u]??"default"})</option>
        ${p.map(g=>o`<option value=${g} ?selected=${s[u]===g}>${g}</option>`)}
      </select></label>`,l=h=>{h.preventDefault();let u=this.querySelector("#allowlist-pattern"),p=u.value.trim();p&&(this.change(f=>f.allowlist=[...f.allowlist??[],{pattern:p}]),u.value="")};return o`<section id="allowlist-card" class="card" aria-labelledby="allowlist-title">
      <h2 id="allowlist-title">Exec allowlists <small class="mono muted">${this.snap?.path??""}</small></h2>
      <div class="row">
        <label class="inline">Host
          <select id="allowlist-target" @change=${h=>(this.target=h.target.value,this.snap=null,this.draft=null,this.loadList())}>
            <option value="gateway" ?selected=${this.target==="gateway"}>gateway</option>
            ${this.nodes.map(h=>o`<option value=${h.nodeId} ?selected=${this.target===h.nodeId}>node ${h.displayName??h.nodeId}</option>`)}
          </select></label>
        <label class="inline">Agent
          <select id="allowlist-agent" @change=${h=>(this.agent=h.target.value,this.requestUpdate())}>
            ${t.map(h=>o`<option value=${h} ?selected=${this.agent===h}>${h==="*"?"* (every agent)":h}</option>`)}
          </select></label>
      </div>
      ${this.errorLine("allowlist")}
      ${e?o`<div class="row">
              ${c("allowlist-security","security",Bt,"Security")} ${c("allowlist-ask","ask",Ks,"Ask")}
              ${c("allowlist-fallback","askFallback",Bt,"If unanswered")}
            </div>
            <table id="allowlist" class="table">
              <caption class="sr-only">Allowed executables of agent ${this.agent}</caption>
              <thead><tr><th scope="col">Pattern</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                ${n.length?n.map((h,u)=>o`<tr data-pattern=${h.pattern}>
                        <td><code>${h.pattern}</code></td>
                        <td class="sub">${h.lastUsedAt?o`${new Date(h.lastUsedAt).toLocaleString()}${h.lastUsedCommand?o` · <code>${h.lastUsedCommand}</code>`:d}`:"never"}</td>
                        <td><button class="danger remove" aria-label="Remove ${h.pattern}" @click=${()=>this.change(p=>p.allowlist=n.filter((f,g)=>g!==u))}>Remove</button></td>
                      </tr>`):o`<tr><td colspan="3" class="muted">No executable is allowlisted for this agent.</td></tr>`}
              </tbody>
            </table>
            <form id="allowlist-add" class="row" @submit=${l}>
              <label class="inline grow">Executable path or glob <input id="allowlist-pattern" class="mono" placeholder="/usr/bin/git or ~/bin/*" spellcheck="false" autocomplete="off"></label>
              <button id="allowlist-add-submit" type="submit">Add</button>
            </form>
            <div class="row">
              <button id="allowlist-save" class="primary" ?disabled=${!this.dirtyList} @click=${()=>this.saveList()}>Save allowlist</button>
              <button id="allowlist-reload" @click=${()=>this.loadList()}>${this.dirtyList?"Discard and reload":"Reload"}</button>
              ${this.listNotice?o`<span id="allowlist-notice" class="muted" role="status">${this.listNotice}</span>`:d}
            </div>
            ${this.listConflict?o`<div id="allowlist-conflict" class="conflict" role="alert"><strong>The approvals file changed since it was loaded.</strong> Nothing was written; reload and make the change again.
                  <button id="allowlist-conflict-reload" class="primary" @click=${()=>this.loadList()}>Reload</button></div>`:this.errorLine("allowlist-save")}`:d}
    </section>`}};customElements.define("cb-approvals",te);var je="__CLAWDBOT_REDACTED__";function D(r){if(!r||typeof r!="object")return"raw";if(Array.isArray(r.enum)&&r.enum.length&&r.enum.every(e=>typeof e=="string"))return"enum";let i=Array.isArray(r.type)?r.type.filter(e=>e!=="null"):[r.type];if(i.length!==1)return"raw";switch(i[0]){case"object":return r.properties&&Object.keys(r.properties).length?"object":"raw";case"string":case"number":case"integer":case"boolean":return i[0];case"array":{let e=D(r.items);return e==="string"||e==="number"||e==="integer"||e==="enum"?"list":"raw"}}return"raw"}function K(r,i){let e=r[i.join(".")];if(e)return e;for(let[t,s]of js(r))if(t.length===i.length&&t.every((n,a)=>n==="*"||n===i[a]))return s;return{}}var zt=new WeakMap;function js(r){let i=zt.get(r);return i||(i=Object.entries(r).filter(([e])=>e.split(".").includes("*")).map(([e,t])=>[e.split("."),t]),zt.set(r,i)),i}function Se(r,i){if(r.label)return r.label;let e=i.replace(/([a-z0-9])([A-Z])/g,"$1 $2").replace(/[_-]+/g," ").toLowerCase();return e.charAt(0).toUpperCase()+e.slice(1)}function Ae(r,i,e){let t=s=>K(i,[...e,s]).order??Number.MAX_SAFE_INTEGER;return Object.keys(r).sort((s,n)=>t(s)-t(n)||s.localeCompare(n))}function Te(r,i){let e=r;for(let t of i){if(e==null||typeof e!="object")return;e=e[t]}return e}function Jt(r){let i={};for(let[e,t]of r){let s=e.split("."),n=i;for(let a of s.slice(0,-1))(n[a]==null||typeof n[a]!="object"||Array.isArray(n[a]))&&(n[a]={}),n=n[a];n[s[s.length-1]]=t}return i}function Gt(r,i,e){let t=i.trim();switch(r){case"number":case"integer":{if(t==="")return{value:null};let s=Number(t);return Number.isFinite(s)?r==="integer"&&!Number.isInteger(s)?{error:`not a whole number: ${t}`}:{value:s}:{error:`not a number: ${t}`}}case"list":{let s=i.split(`
`).map(n=>n.trim()).filter(Boolean);if(!s.length)return{value:null};if(e==="number"||e==="integer"){let n=s.map(Number),a=s.find((c,l)=>!Number.isFinite(n[l]));return a!==void 0?{error:`not a number: ${a}`}:{value:n}}return{value:s}}case"string":case"enum":return{value:t===""?null:i};default:return{value:i}}}var Be=class{constructor(){this.edits=new Map;this.texts=new Map;this.invalid=new Map;this.open=new Set;this.advanced=!1;this.filter="";this.busy=!1}},m=new Be;function Wt(){m.edits.clear(),m.texts.clear(),m.invalid.clear()}function Bs(r){return"cfg-"+r.join("-").replace(/[^A-Za-z0-9_-]/g,"_")}function Xt(r,i){return JSON.stringify(r??null)===JSON.stringify(i??null)}function Ve(r,i,e,t){let s=K(e,r);return`${r.join(".")} ${Se(s,r[r.length-1])} ${s.help??""}`.toLowerCase().includes(t)?!0:D(i)==="object"?Object.entries(i.properties).some(([a,c])=>Ve([...r,a],c,e,t)):!1}function Yt(r){if(!r.schemaAvailable)return o`<p class="muted">This gateway has no config.schema; edit the raw file below.</p>`;if(!r.schema)return o`<p class="muted" id="config-form-loading">Loading the config schema…</p>`;let i=r.uiHints??{},e=r.schema.properties??{},t=m.filter.trim().toLowerCase(),s=(l,h,u,p)=>{let f=l.join("."),g=Gt(h,u,p);if(m.texts.set(f,u),"error"in g)m.invalid.set(f,g.error);else{m.invalid.delete(f);let y=Te(r.config,l);y===je&&g.value===null||Xt(g.value,y)||g.value===null&&y===void 0?(m.edits.delete(f),m.texts.delete(f)):m.edits.set(f,g.value)}r.update()},n=(l,h)=>{let u=l.join("."),p=K(i,l);if(p.advanced&&!m.advanced&&!m.edits.has(u))return d;if(t&&!Ve(l,h,i,t))return d;let f=D(h),g=Se(p,l[l.length-1]);if(f==="object")return o`<fieldset class="cfg-group" data-path=${u}>
        <legend>${g}</legend>
        ${p.help?o`<p class="help">${p.help}</p>`:d}
        ${Ae(h.properties,i,l).map($=>n([...l,$],h.properties[$]))}
      </fieldset>`;let y=Bs(l),A=Te(r.config,l),de=m.edits.has(u),k=de?m.edits.get(u):A,We=m.texts.get(u),ce=m.invalid.get(u),as=h.default!==void 0?`default: ${JSON.stringify(h.default)}`:"",os=p.help?o`<small class="help" id="${y}-help">${p.help}</small>`:d,he=p.help?`${y}-help`:d,ls=`cfg-field${de?" edited":""}${ce?" invalid":""}`,ds=ce?o`<small class="error" role="alert">${ce}</small>`:d,C;switch(f){case"boolean":C=o`<select id=${y} data-path=${u} aria-describedby=${he}
          @change=${$=>{let x=$.target.value,U=Te(r.config,l),F=x===""?null:x==="true";Xt(F,U)||F===null&&U===void 0?m.edits.delete(u):m.edits.set(u,F),r.update()}}>
          <option value="" ?selected=${k==null}>default${h.default!==void 0?` (${h.default?"on":"off"})`:""}</option>
          <option value="true" ?selected=${k===!0}>on</option>
          <option value="false" ?selected=${k===!1}>off</option>
        </select>`;break;case"enum":C=o`<select id=${y} data-path=${u} aria-describedby=${he} @change=${$=>s(l,f,$.target.value)}>
          <option value="" ?selected=${k==null}>default${h.default!==void 0?` (${h.default})`:""}</option>
          ${h.enum.map($=>o`<option value=${$} ?selected=${k===$}>${$}</option>`)}
        </select>`;break;case"list":{let $=D(h.items),x=We??(Array.isArray(k)?k.join(`
`):"");C=o`<textarea id=${y} data-path=${u} class="mono" rows="3" spellcheck="false" aria-describedby=${he} placeholder="one per line"
          .value=${x} @input=${U=>s(l,f,U.target.value,$)}></textarea>`;break}case"raw":C=o`<pre id=${y} data-path=${u} class="mono cfg-raw" tabindex="0" aria-label="${g} (edit in the raw file)">${A===void 0?"(not set)":JSON.stringify(A,null,2)}</pre>`;break;default:{let $=!!p.sensitive,x=$&&A===je&&!de,U=We??(x||k==null?"":String(k)),F=x?"stored (hidden): type to replace":p.placeholder||as;C=o`<input id=${y} data-path=${u} type=${$?"password":f==="string"?"text":"number"}
          step=${f==="number"?"any":d} autocomplete=${$?"new-password":"off"} spellcheck="false"
          aria-describedby=${he} placeholder=${F||d} aria-invalid=${ce?"true":"false"}
          .value=${U} @input=${cs=>s(l,f,cs.target.value)}>`}}return o`<div class=${ls}>
      <label for=${y}>${g}${de?o` <span class="tag">changed</span>`:d}</label>
      ${C} ${os} ${ds}
    </div>`},a=Ae(e,i,[]).filter(l=>(!K(i,[l]).advanced||m.advanced)&&(!t||Ve([l],e[l],i,t)));return o`<form id="config-form" class="cfg-form" @submit=${async l=>{if(l.preventDefault(),m.invalid.size||!m.edits.size||m.busy)return;m.busy=!0,r.update();let h=await r.patch(Jt(m.edits));m.busy=!1,h&&Wt(),r.update()}} aria-label="Config form">
    <div class="row">
      <input id="config-form-filter" type="search" placeholder="Find a setting" aria-label="Find a setting" .value=${m.filter}
        @input=${l=>(m.filter=l.target.value,r.update())}>
      <label class="inline"><input id="config-form-advanced" type="checkbox" .checked=${m.advanced}
        @change=${l=>(m.advanced=l.target.checked,r.update())}> show advanced</label>
    </div>
    ${a.map(l=>{let h=K(i,[l]),u=e[l],p=m.open.has(l)||!!t,f=[...m.edits.keys()].filter(g=>g===l||g.startsWith(l+".")).length;return o`<details class="cfg-section" data-section=${l} ?open=${p}
        @toggle=${g=>{let y=g.target.open;t||y===m.open.has(l)||(y?m.open.add(l):m.open.delete(l),r.update())}}>
        <summary id="cfg-section-${l}">${Se(h,l)}${f?o` <span class="tag">${f} changed</span>`:d}
          ${h.help?o`<small class="muted"> — ${h.help}</small>`:d}</summary>
        ${p?D(u)==="object"?Ae(u.properties,i,[l]).map(g=>n([l,g],u.properties[g])):n([l],u):d}
      </details>`})}
    <div class="row cfg-actions">
      <button id="config-form-apply" type="submit" class="primary" ?disabled=${!m.edits.size||m.invalid.size>0||m.busy}>
        ${m.edits.size?`Apply ${m.edits.size} change${m.edits.size>1?"s":""}`:"Apply"}</button>
      <button id="config-form-discard" type="button" ?disabled=${!m.edits.size&&!m.invalid.size} @click=${()=>(Wt(),r.update())}>Discard changes</button>
      ${m.invalid.size?o`<span class="error">Fix the marked fields first.</span>`:d}
    </div>
  </form>`}var ze=Yt;function Vs(r){ze=r}var zs=/changed since last load|base hash/i,se=class extends v{constructor(){super(...arguments);this.snap=null;this.raw="";this.dirty=!1;this.notice="";this.issues=[];this.schema=null;this.conflict=!1}connected(){this.active&&!this.dirty&&this.load()}shown(){this.dirty||this.load()}async load(){if(!this.schema&&this.gw.supports("config.schema")){let t=await this.call("config-schema","config.schema");t&&(this.schema={schema:t.schema,uiHints:t.uiHints??{}})}let e=await this.call("config","config.get");e&&(this.snap=e,this.raw=e.raw??"",this.dirty=!1,this.conflict=!1,this.issues=e.issues??[],this.errors.delete("config-save"),this.requestUpdate())}async write(e,t,s){this.snap?.hash&&(t.baseHash=this.snap.hash);try{return await this.gw.request(e,t),this.setError("config-save",null),this.notice=s,this.issues=[],this.conflict=!1,await this.load(),!0}catch(n){let a=n.details;return this.issues=Array.isArray(a?.issues)?a.issues:[],this.conflict=zs.test(n.message),this.notice="",this.setError("config-save",n),!1}}save(e=this.raw){return this.write("config.set",{raw:e},"Saved; the gateway reloads the config.")}patch(e){return this.write("config.patch",{raw:JSON.stringify(e)},"Applied; the gateway reloads the config.")}render(){let e=this.snap,t={config:e?.config,schemaAvailable:this.gw.supports("config.schema"),schema:this.schema?.schema,uiHints:this.schema?.uiHints,apply:s=>this.save(s),patch:s=>this.patch(s),update:()=>this.requestUpdate()};return o`<section id="config-card" class="card" aria-labelledby="config-title">
      <h2 id="config-title">Config <small class="mono muted">${e?.path??""}</small></h2>
      ${this.errorLine("config")} ${this.errorLine("config-schema")}
      ${e?o`<p class="sub">${e.exists?"":"The file does not exist yet. "}${e.valid?"valid":"invalid"}${this.dirty?" · unsaved changes":""}</p>`:d}
      ${this.conflict?o`<div id="config-conflict" class="conflict" role="alert">
            <strong>The config file changed on the gateway since this page loaded it.</strong> Nothing was written.
            Reload to get the current file; edits in the form are kept and can be applied again${this.dirty?" (the raw editor's edits are replaced)":""}.
            <button id="config-conflict-reload" class="primary" @click=${()=>(this.dirty=!1,this.load())}>Reload</button>
          </div>`:d}
      ${this.notice?o`<p id="config-notice" class="muted" role="status">${this.notice}</p>`:d}
      ${this.errorLine("config-save")}
      ${this.issues.length?o`<ul id="config-issues" class="plain error">${this.issues.map(s=>o`<li><code>${s.path??""}</code> ${s.message??JSON.stringify(s)}</li>`)}</ul>`:d}
      <div id="config-form-slot">${ze&&e?ze(t):d}</div>
      <details id="config-raw-section" class="cfg-section" open>
        <summary>Raw file (JSON5)</summary>
        <label for="config-raw" class="sr-only">Raw file (JSON5)</label>
        <textarea id="config-raw" class="mono code" rows="24" spellcheck="false" .value=${this.raw}
          @input=${s=>(this.raw=s.target.value,this.dirty=!0,this.requestUpdate())}></textarea>
        <div class="row">
          <button id="config-save" class="primary" ?disabled=${!this.dirty} @click=${()=>this.save()}>Save</button>
          <button id="config-reload" @click=${()=>this.load()}>${this.dirty?"Discard and reload":"Reload"}</button>
        </div>
      </details>
    </section>`}};customElements.define("cb-config",se);var Js=200,ie=class extends v{constructor(){super(...arguments);this.result="";this.resultOk=!0;this.events=[];this.filter="";this.showTicks=!1;this.took=""}onEvent(e){e.event==="tick"&&!this.showTicks||(this.events=[{at:Date.now(),ev:e},...this.events].slice(0,Js),this.active&&this.requestUpdate())}shown(){this.requestUpdate()}async invoke(e){e.preventDefault();let t=this.querySelector("#debug-method").value.trim(),s=this.querySelector("#debug-params").value.trim(),n={};try{s&&(n=JSON.parse(s))}catch(c){this.resultOk=!1,this.result=`params are not JSON: ${c.message}`,this.requestUpdate();return}let a=performance.now();try{let c=await this.gw.request(t,n);this.resultOk=!0,this.result=JSON.stringify(c,null,2),this.took=`${t}: ok in ${Math.round(performance.now()-a)} ms`}catch(c){let l=c;this.resultOk=!1,this.result=JSON.stringify({code:l.code,message:l.message,details:l.details},null,2),this.took=`${t}: failed in ${Math.round(performance.now()-a)} ms`}this.requestUpdate()}render(){let e=this.gw?.hello?.features?.methods??[],t=this.events.filter(s=>!this.filter||s.ev.event.includes(this.filter));return o`<section id="debug-call-card" class="card" aria-labelledby="debug-title">
        <h2 id="debug-title">Call a method</h2>
        <form id="debug-form" @submit=${this.invoke}>
          <label>Method <input id="debug-method" list="debug-methods" value="health" autocomplete="off" spellcheck="false"></label>
          <datalist id="debug-methods">${e.map(s=>o`<option value=${s}></option>`)}</datalist>
          <label>Params (JSON; Ctrl+Enter calls) <textarea id="debug-params" class="mono" rows="4" spellcheck="false"
            @keydown=${s=>{s.key==="Enter"&&(s.ctrlKey||s.metaKey)&&this.invoke(s)}}>{}</textarea></label>
          <button id="debug-call" type="submit" class="primary">Call</button>
        </form>
        <p id="debug-took" class="sub" role="status">${this.took}</p>
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
      </section>`}};customElements.define("cb-debug",ie);var Gs=15e3,Qt=3e4,Ws=1500,ne=class extends v{constructor(){super(...arguments);this.st=null;this.probing=!1;this.qr="";this.loginMsg="";this.loginBusy=!1;this.linked=!1;this.loginGen=0;this.armedLogout=!1;this.lastRefresh=0;this.refreshTimer=null}connected(){this.active&&this.refresh(!1)}shown(){this.refresh(!1)}disconnected(){this.loginGen++,this.loginBusy=!1,this.requestUpdate()}onEvent(e){if(e.event!=="health"||!this.active)return;let t=this.lastRefresh+Ws-Date.now();t<=0?this.refresh(!1):this.refreshTimer||(this.refreshTimer=setTimeout(()=>(this.refreshTimer=null,void this.refresh(!1)),t))}async refresh(e){this.lastRefresh=Date.now(),e&&(this.probing=!0,this.requestUpdate());let t=await this.call("channels","channels.status",e?{probe:!0,timeoutMs:8e3}:{});this.probing=!1,t&&(this.st=t,this.linked=!!t.whatsapp?.linked),this.requestUpdate()}async startLogin(e){let t=++this.loginGen;this.loginBusy=!0,this.armedLogout=!1,this.qr="",this.loginMsg="Asking the gateway for a QR code…",this.requestUpdate();let s=await this.call("wa-login","web.login.start",{force:e,timeoutMs:Qt});if(t===this.loginGen){if(!s){this.loginBusy=!1,this.loginMsg="",this.requestUpdate();return}if(this.loginMsg=s.message||"",this.qr=s.qrDataUrl||"",this.requestUpdate(),!this.qr){this.loginBusy=!1,this.refresh(!1);return}await this.waitLoop(t)}}async waitLoop(e){for(;e===this.loginGen&&this.gw.state==="connected";){let t=await this.call("wa-login","web.login.wait",{timeoutMs:Gs});if(e!==this.loginGen)return;if(!t)break;if(this.loginMsg=t.message||"",t.connected){this.qr="",this.linked=!0,this.loginMsg=t.message&&t.message!=="linked"?t.message:"Linked. WhatsApp is connecting.";break}if(!/waiting/i.test(t.message||"")){this.qr="";break}let s=await this.call("wa-login","web.login.start",{force:!1,timeoutMs:Qt});if(e!==this.loginGen)return;s?.qrDataUrl&&(this.qr=s.qrDataUrl),this.requestUpdate()}e===this.loginGen&&(this.loginBusy=!1),this.requestUpdate(),this.refresh(!1)}cancelLogin(){this.loginGen++,this.loginBusy=!1,this.qr="",this.loginMsg="Stopped waiting (the code stays valid on the gateway until it expires).",this.requestUpdate()}async logout(){if(!this.armedLogout){this.armedLogout=!0,this.requestUpdate();return}this.armedLogout=!1,this.loginGen++,this.qr="";let e=!!this.gw.hello?.features?.methods?.includes("channels.logout"),t=await this.call("wa-login",e?"channels.logout":"web.logout",e?{channel:"whatsapp"}:{});t&&(this.loginMsg=t.cleared?"Unlinked: the credentials were removed.":"Nothing to unlink."),this.linked=!1,await this.refresh(!1)}render(){let e=this.st?.whatsapp,t=this.st?.telegram,s=(a,c,l="")=>o`<dt>${a}</dt><dd class=${l}>${c??"—"}</dd>`,n=t?.probe;return o`<div class="grid">
      <section id="wa-card" class="card" aria-labelledby="wa-title">
        <h2 id="wa-title">WhatsApp
          <span id="wa-badge" class="badge" data-ok=${String(!!e?.connected)}>${e?e.connected?"connected":e.linked?"linked":"not linked":""}</span>
          <span class="spacer"></span><button id="channels-refresh" class="ghost" @click=${()=>this.refresh(!1)}>Refresh</button></h2>
        ${this.errorLine("channels")}
        ${e?o`<dl id="wa-status" class="kv">
              ${s("Configured",e.configured?"yes":"no")}
              ${s("Linked",e.linked?"yes":"no",e.linked?"good":"muted")}
              ${s("Connected",e.connected?"yes":"no",e.connected?"good":e.linked?"bad":"muted")}
              ${e.self?s("Number",e.self.e164||e.self.jid):d}
              ${e.authAgeMs!=null?s("Linked for",be(e.authAgeMs)):d}
              ${e.lastError?s("Last error",e.lastError,"bad"):d}
            </dl>`:d}
        <div class="row">
          <button id="wa-link" class="primary" ?disabled=${this.loginBusy} @click=${()=>this.startLogin(this.linked)}>${this.linked?"Relink (new QR)":"Show QR code"}</button>
          <button id="wa-cancel" ?hidden=${!this.loginBusy} @click=${this.cancelLogin}>Stop waiting</button>
          <button id="wa-logout" class="danger" ?hidden=${!this.linked} @click=${this.logout}>${this.armedLogout?"Confirm unlink":"Unlink"}</button>
        </div>
        ${this.errorLine("wa-login")}
        <p id="wa-login-status" class="muted" role="status" aria-live="polite">${this.loginMsg}</p>
        ${this.qr?o`<figure class="qr"><img id="wa-qr" src=${this.qr} alt="WhatsApp link QR code: scan it in WhatsApp → Settings → Linked devices" width="264" height="264">
              <figcaption class="sub">Open WhatsApp on the phone → Settings → Linked devices → Link a device, and scan.</figcaption></figure>`:d}
      </section>

      <section id="tg-card" class="card" aria-labelledby="tg-title">
        <h2 id="tg-title">Telegram
          <span id="tg-badge" class="badge" data-ok=${String(!!t?.running&&!t?.lastError)}>${t?t.configured?t.running?"running":"stopped":"not configured":""}</span>
          <span class="spacer"></span><button id="channels-probe" ?disabled=${this.probing} @click=${()=>this.refresh(!0)}>${this.probing?"Probing…":"Probe"}</button></h2>
        ${t?o`<dl id="tg-status" class="kv">
              ${s("Configured",t.configured?"yes":"no")}
              ${s("Running",t.running?"yes":"no",t.running?"good":"muted")}
              ${t.mode?s("Mode",t.mode):d}
              ${t.botUsername?s("Bot","@"+t.botUsername):d}
              ${t.lastError?s("Last error",t.lastError,"bad"):d}
            </dl>`:d}
        ${n?o`<h3>Probe</h3><dl id="tg-probe" class="kv">
              ${s("Result",n.ok?"ok":n.error||"failed",n.ok?"good":"bad")}
              ${n.elapsedMs!=null?s("Took",`${n.elapsedMs} ms`):d}
              ${n.bot?.username?s("Bot","@"+n.bot.username):d}
            </dl>`:d}
        <p class="sub">Checked ${b(this.st?.ts)}. Bot accounts are configured under <code>channels.telegram</code>.</p>
      </section>
    </div>`}};customElements.define("cb-channels",ne);var re=class extends v{constructor(){super(...arguments);this.rows=[];this.version=0;this.filter=""}connected(){this.version=0,this.refresh()}onEvent(e){e.event==="presence"&&this.apply(e.payload?.presence,e.stateVersion?.presence)}apply(e,t){if(Array.isArray(e)){if(t!=null){if(t<this.version)return;this.version=t}this.rows=e,this.setError("instances",null)}}async refresh(){let e=await this.call("instances","system-presence");e&&this.apply(e,null)}render(){let e=this.filter.toLowerCase(),t=e?this.rows.filter(s=>JSON.stringify(s).toLowerCase().includes(e)):this.rows;return o`<section id="instances-card" class="card" aria-labelledby="instances-title">
      <h2 id="instances-title">Instances <span id="instances-count" class="count">${this.rows.length}</span>
        <span class="spacer"></span><button id="instances-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("instances")}
      <label>Filter <input id="instances-filter" type="search" .value=${this.filter} @input=${s=>(this.filter=s.target.value,this.requestUpdate())}></label>
      <p class="muted" ?hidden=${this.rows.length>0}>No instances.</p>
      <div class="scroll">
        <table id="instances" class="table">
          <thead><tr><th>Host</th><th>Mode</th><th>Platform</th><th>Version</th><th>Address</th><th>Reason</th><th>Seen</th></tr></thead>
          <tbody>
            ${t.map(s=>o`<tr class=${s.reason==="disconnect"?"gone":""} data-instance-id=${s.instanceId??d}>
                <td><strong>${s.host||s.instanceId||"—"}</strong>${s.text?o`<div class="sub">${s.text}</div>`:d}
                  ${s.roles?.length||s.scopes?.length?o`<div class="sub">${[...s.roles??[],...s.scopes??[]].join(" ")}</div>`:d}</td>
                <td>${s.mode||"—"}</td>
                <td>${[s.platform,s.deviceFamily,s.modelIdentifier].filter(Boolean).join(" · ")||"—"}</td>
                <td>${s.version||"—"}</td>
                <td>${s.ip||"local"}</td>
                <td>${s.reason||"—"}</td>
                <td title=${s.ts?new Date(s.ts).toISOString():""}>${b(s.ts)}${s.lastInputSeconds!=null?o`<div class="sub">idle ${s.lastInputSeconds}s</div>`:d}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
    </section>`}};customElements.define("cb-instances",re);var Zt=3e5,ae=class extends v{constructor(){super(...arguments);this.st=null;this.filter="";this.busy=new Set;this.notes=new Map;this.installs=new Map}connected(){this.active&&this.refresh()}shown(){this.refresh()}async refresh(){let e=await this.call("skills","skills.status",{});e&&(this.st=e),this.requestUpdate()}note(e,t,s=!1){this.notes.set(e,{text:t,error:s}),this.requestUpdate()}async patch(e,t,s){let n=e.skillKey;this.busy.add(n),this.requestUpdate();try{await this.gw.request("skills.update",{skillKey:n,...t}),this.note(n,s)}catch(a){this.note(n,a.message,!0)}this.busy.delete(n),await this.refresh()}saveKey(e,t){t.preventDefault();let s=t.target.querySelector("input"),n=s.value;this.patch(e,{apiKey:n},n.trim()?`API key saved for ${e.primaryEnv}.`:"API key removed.").then(()=>s.value="")}async install(e,t){let s=`${e.name}:${t.id}`;this.busy.add(e.skillKey),this.installs.set(s,{ok:!0,message:`Running ${t.label}…`,output:""}),this.requestUpdate();try{let n=await this.gw.request("skills.install",{name:e.name,installId:t.id,timeoutMs:Zt},Zt+1e4);this.installs.set(s,{ok:!!n?.ok,message:n?.message||"Installed",output:[n?.stdout,n?.stderr].filter(Boolean).join(`
`)})}catch(n){let a=n.details,c=a&&typeof a=="object"?[a.stdout,a.stderr].filter(Boolean).join(`
`):"";this.installs.set(s,{ok:!1,message:n.message,output:c})}this.busy.delete(e.skillKey),await this.refresh()}render(){let e=this.st?.skills??[],t=this.filter.toLowerCase(),s=t?e.filter(a=>`${a.name} ${a.description} ${a.source}`.toLowerCase().includes(t)):e,n=e.filter(a=>a.eligible).length;return o`<section id="skills-card" class="card" aria-labelledby="skills-title">
      <h2 id="skills-title">Skills <span class="count" aria-label="${n} of ${e.length} eligible">${n}/${e.length}</span>
        <span class="spacer"></span><button id="skills-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("skills")}
      ${this.st?o`<p class="sub mono">workspace ${this.st.workspaceDir} · managed ${this.st.managedSkillsDir}</p>`:d}
      <label>Filter <input id="skills-filter" type="search" .value=${this.filter} @input=${a=>(this.filter=a.target.value,this.requestUpdate())}></label>
      <p class="muted" ?hidden=${e.length>0}>No skills found. Put a folder with a SKILL.md into the workspace's <code>skills/</code> or the managed skills folder.</p>
      <ul id="skills" class="plain skills">
        ${s.map(a=>{let c=Lt(a),l=this.busy.has(a.skillKey),h=this.notes.get(a.skillKey);return o`<li class="skill ${a.eligible?"eligible":"ineligible"}" data-skill=${a.name} data-skill-key=${a.skillKey}>
            <div class="skill-head">
              <strong>${a.emoji?a.emoji+" ":""}${a.name}</strong>
              <span class="badge" data-ok=${String(!!a.eligible)}>${a.eligible?"eligible":a.disabled?"disabled":"not eligible"}</span>
              <span class="tag">${String(a.source||"").replace(/^clawdbot-/,"")}</span>
              ${a.always?o`<span class="tag">always</span>`:d}
              <span class="spacer"></span>
              <button class="toggle ${a.disabled?"primary":""}" ?disabled=${l} aria-label="${a.disabled?"Enable":"Disable"} ${a.name}"
                @click=${()=>this.patch(a,{enabled:!!a.disabled},a.disabled?"Enabled.":"Disabled.")}>${a.disabled?"Enable":"Disable"}</button>
            </div>
            ${a.description?o`<div class="sub">${a.description}</div>`:d}
            ${c.length?o`<ul class="reasons">${c.map(u=>o`<li class="reason">${u}</li>`)}</ul>`:d}
            ${a.primaryEnv?o`<form class="row api-key" @submit=${u=>this.saveKey(a,u)}>
                  <label class="grow">API key (${a.primaryEnv}) <input type="password" autocomplete="off" placeholder="empty removes the key"></label>
                  <button type="submit" ?disabled=${l}>Save key</button></form>`:d}
            ${(a.install??[]).length?o`<div class="row installs">${a.install.map(u=>o`<button class="install" ?disabled=${l} data-install-id=${u.id} aria-label="${u.label} for ${a.name}" @click=${()=>this.install(a,u)}>${u.label}</button>`)}</div>`:d}
            ${(a.install??[]).map(u=>{let p=this.installs.get(`${a.name}:${u.id}`);return p?o`<div class="install-result" role="status"><span class=${p.ok?"good":"error"}>${p.message}</span>${p.output?o`<pre class="out">${p.output}</pre>`:d}</div>`:d})}
            ${h?o`<p class="note ${h.error?"error":"muted"}" role=${h.error?"alert":"status"}>${h.text}</p>`:d}
            <div class="sub mono">${a.filePath}</div>
          </li>`})}
      </ul>
    </section>`}};customElements.define("cb-skills",ae);var es=3e4,ts=1500,oe=class extends v{constructor(){super(...arguments);this.nodes=[];this.nodePending=[];this.devPending=[];this.devices=[];this.selected="";this.desc=null;this.renaming=!1;this.invokeResult="";this.invokeError="";this.invoking=!1;this.busy=new Set;this.rowErrors=new Map;this.newToken=null;this.armed="";this.notice="";this.devNotice="";this.lastRefresh=0;this.timer=null}connected(){this.active&&this.refresh()}shown(){this.refresh()}onEvent(e){let t=e.payload;switch(e.event){case"device.pair.requested":t?.requestId&&!this.devPending.some(s=>s.requestId===t.requestId)&&(this.devPending=[t,...this.devPending]),this.requestUpdate();break;case"device.pair.resolved":this.devPending=this.devPending.filter(s=>s.requestId!==t?.requestId),this.active&&this.refreshDevices(),this.requestUpdate();break;case"node.pair.requested":t?.requestId&&!this.nodePending.some(s=>s.requestId===t.requestId)&&(this.nodePending=[t,...this.nodePending]),this.requestUpdate();break;case"node.pair.resolved":this.nodePending=this.nodePending.filter(s=>s.requestId!==t?.requestId),this.active&&this.refreshNodes(),this.requestUpdate();break;case"presence":if(!this.active)break;Date.now()-this.lastRefresh>=ts?this.refreshNodes():this.timer||(this.timer=setTimeout(()=>(this.timer=null,void this.refreshNodes()),ts));break}}async refresh(){await Promise.all([this.refreshNodes(),this.refreshDevices()])}async refreshNodes(){this.lastRefresh=Date.now();try{let[e,t]=await Promise.all([this.gw.request("node.list"),this.gw.request("node.pair.list")]),s=e?.nodes??[],n=new Set(s.map(a=>a.nodeId));for(let a of t?.paired??[])n.has(a.nodeId)||s.push({...a,paired:!0,connected:!1});this.nodes=s,this.nodePending=t?.pending??[],this.setError("nodes",null)}catch(e){this.setError("nodes",e)}}async refreshDevices(){let e=await this.call("devices","device.pair.list",{});e&&(this.devPending=e.pending??[],this.devices=e.paired??[],this.requestUpdate())}async decide(e,t,s){this.busy.add(s),this.rowErrors.delete(s),this.requestUpdate();try{await this.gw.request(`${e}.pair.${t?"approve":"reject"}`,{requestId:s}),e==="node"?this.nodePending=this.nodePending.filter(a=>a.requestId!==s):this.devPending=this.devPending.filter(a=>a.requestId!==s);let n=`${e==="node"?"Node":"Device"} request ${t?"approved":"rejected"}.`;e==="node"?this.notice=n:this.devNotice=n,await(e==="node"?this.refreshNodes():this.refreshDevices())}catch(n){this.rowErrors.set(s,n.message)}this.busy.delete(s),this.requestUpdate()}async select(e){this.selected=e,this.desc=null,this.invokeResult="",this.invokeError="",this.renaming=!1,this.requestUpdate();let t=await this.call("describe","node.describe",{nodeId:e});this.selected===e&&(this.desc=t??null),this.requestUpdate()}async rename(e){e.preventDefault();let s=e.target.querySelector("#node-name").value.trim();if(!s)return;let n=await this.call("describe","node.rename",{nodeId:this.selected,displayName:s});n&&(this.renaming=!1,this.notice=`Renamed to ${n.displayName}.`,await Promise.all([this.refreshNodes(),this.select(this.selected)]))}async invoke(e){e.preventDefault();let t=e.target,s=t.querySelector("#invoke-command").value.trim(),n=t.querySelector("#invoke-params").value;this.invokeResult="",this.invokeError="";let a;try{if(!s)throw new Error("a command is required");a=Mt(n)}catch(c){this.invokeError=c.message,this.requestUpdate();return}this.invoking=!0,this.requestUpdate();try{let c=await this.gw.request("node.invoke",{nodeId:this.selected,command:s,...a===void 0?{}:{params:a},timeoutMs:es,idempotencyKey:R()},es+5e3);this.invokeResult=c?.payload!==void 0?X(c.payload):c?.payloadJSON??"(no payload)"}catch(c){this.invokeError=c.message}this.invoking=!1,this.requestUpdate()}async token(e,t,s){let n=`${e}:${t}:${s}`;if(e==="revoke"&&this.armed!==n){this.armed=n,this.requestUpdate();return}this.armed="",this.newToken=null;let a=await this.call("devices",`device.token.${e}`,{deviceId:t,role:s});a&&e==="rotate"&&(this.newToken={deviceId:t,role:s,token:a.token}),a&&e==="revoke"&&(this.devNotice=a.revoked?`The ${s} token was revoked.`:`No ${s} token to revoke.`),await this.refreshDevices()}pendingList(e,t){return o`<ul id="${e}-pending" class="pending">
      ${t.map(s=>{let n=this.busy.has(s.requestId),a=this.rowErrors.get(s.requestId),c=s.displayName||s.nodeId||(s.deviceId?s.deviceId.slice(0,12):s.requestId);return o`<li class="pending-item ${e}-request" data-request-id=${s.requestId}>
          <div class="grow">
            <strong>${c}</strong>${s.isRepair?o`<span class="tag">repair</span>`:d}${s.role?o`<span class="tag">${s.role}</span>`:d}
            <div class="sub">${[s.platform,s.version,s.clientId,s.remoteIp,(s.scopes??[]).join(" "),b(s.ts)].filter(Boolean).join(" · ")}</div>
            ${a?o`<div class="note error" role="alert">${a}</div>`:d}
          </div>
          <button class="primary approve" ?disabled=${n} aria-label="Approve ${c}" @click=${()=>this.decide(e,!0,s.requestId)}>Approve</button>
          <button class="danger reject" ?disabled=${n} aria-label="Reject ${c}" @click=${()=>this.decide(e,!1,s.requestId)}>Reject</button>
        </li>`})}
    </ul>`}render(){let e=this.desc,t=this.nodes.find(s=>s.nodeId===this.selected);return o`<div class="grid">
      <section id="nodes-view-card" class="card" aria-labelledby="nodes-view-title">
        <h2 id="nodes-view-title">Nodes <span class="count">${this.nodes.length}</span>
          <span class="spacer"></span><button id="nodes-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
        ${this.errorLine("nodes")}
        ${this.notice?o`<p id="nodes-notice" class="muted" role="status">${this.notice}</p>`:d}
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
                  </dl>`:d}
              ${this.renaming?o`<form id="node-rename" class="row" @submit=${this.rename}>
                    <label class="grow">New name <input id="node-name" required maxlength="200" .value=${e?.displayName||t?.displayName||""}></label>
                    <button type="submit" class="primary">Save name</button>
                    <button type="button" @click=${()=>(this.renaming=!1,this.requestUpdate())}>Cancel</button></form>`:o`<button id="node-rename-open" @click=${()=>(this.renaming=!0,this.requestUpdate())}>Rename</button>`}
              <form id="node-invoke" @submit=${this.invoke}>
                <label>Command <input id="invoke-command" list="invoke-commands" placeholder="e.g. canvas.eval" autocomplete="off"></label>
                <datalist id="invoke-commands">${(e?.commands??[]).map(s=>o`<option value=${s}></option>`)}</datalist>
                <label>Params (JSON) <textarea id="invoke-params" class="code" rows="3" spellcheck="false" placeholder='{"javaScript": "1+1"}'></textarea></label>
                <button id="invoke-submit" type="submit" class="primary" ?disabled=${this.invoking||e&&!e.connected}>${this.invoking?"Invoking…":"Invoke"}</button>
                ${e&&!e.connected?o`<span class="sub"> the node is offline</span>`:d}
              </form>
              ${this.invokeError?o`<p id="invoke-error" class="error" role="alert">${this.invokeError}</p>`:d}
              ${this.invokeResult?o`<pre id="invoke-result" class="out" role="status">${this.invokeResult}</pre>`:d}
            </div>`:d}
      </section>

      <section id="devices-card" class="card" aria-labelledby="devices-title">
        <h2 id="devices-title">Devices <span class="count">${this.devices.length}</span></h2>
        ${this.errorLine("devices")}
        ${this.devNotice?o`<p id="devices-notice" class="muted" role="status">${this.devNotice}</p>`:d}
        <h3>Device pairing <span id="device-pending-count" class="count">${this.devPending.length}</span></h3>
        <p class="muted" ?hidden=${this.devPending.length>0}>No device is waiting for approval.</p>
        ${this.pendingList("device",this.devPending)}
        ${this.newToken?o`<div id="device-new-token" class="note" role="status">New ${this.newToken.role} token for ${this.newToken.deviceId.slice(0,12)}… (shown once):
              <code class="mono token">${this.newToken.token}</code></div>`:d}
        <h3>Paired devices</h3>
        <p class="muted" ?hidden=${this.devices.length>0}>No paired devices.</p>
        <ul id="devices" class="plain">
          ${this.devices.map(s=>{let n=s.roles?.length?s.roles:s.role?[s.role]:[],a=s.displayName||s.deviceId.slice(0,12);return o`<li class="device" data-device-id=${s.deviceId}>
              <div><strong>${a}</strong> <span class="sub">${[s.platform,s.clientId,s.remoteIp].filter(Boolean).join(" · ")}</span></div>
              <div class="sub mono">${s.deviceId}</div>
              <div class="sub">approved ${q(s.approvedAtMs)}${(s.scopes??[]).length?` · scopes ${s.scopes.join(" ")}`:""}</div>
              <div class="row">
                ${n.map(c=>{let l=this.armed===`revoke:${s.deviceId}:${c}`;return o`<span class="tag">${c}</span>
                    <button class="rotate" aria-label="Rotate the ${c} token of ${a}" @click=${()=>this.token("rotate",s.deviceId,c)}>Rotate token</button>
                    <button class="revoke danger" aria-label="${l?"Confirm revoke":"Revoke"} the ${c} token of ${a}" @click=${()=>this.token("revoke",s.deviceId,c)}>${l?"Confirm revoke":"Revoke"}</button>`})}
              </div>
            </li>`})}
        </ul>
      </section>
    </div>`}};customElements.define("cb-nodes",oe);var Je="clawdbot.controlUi.auth",ss="clawdbot.controlUi.instanceId",is="clawdbot.controlUi.theme",Ge=[{id:"overview",label:"Overview",make:()=>new W},{id:"chat",label:"Chat",make:()=>new Y},{id:"channels",label:"Channels",make:()=>new ne},{id:"instances",label:"Instances",make:()=>new re},{id:"sessions",label:"Sessions",make:()=>new Z},{id:"cron",label:"Cron",make:()=>new ee},{id:"skills",label:"Skills",make:()=>new ae},{id:"nodes",label:"Nodes",make:()=>new oe},{id:"approvals",label:"Approvals",make:()=>new te},{id:"config",label:"Config",make:()=>new se},{id:"logs",label:"Logs",make:()=>new Q},{id:"debug",label:"Debug",make:()=>new ie}];function ns(){try{let r=JSON.parse(localStorage.getItem(Je)||"null");if(r&&typeof r=="object")return r}catch{}return null}function Xs(){let r=localStorage.getItem(ss);return r||(r=R(),localStorage.setItem(ss,r)),r}function rs(){let r=location.hash.replace(/^#\/?/,"");return Ge.find(i=>i.id===r)?.id??"overview"}var le=class extends E{constructor(){super();this.views=new Map;this.route=rs();this.conn="idle";this.showLogin=!1;this.loginError="";this.banner="";this.serverInfo="";this.canvasUrl="";this.approvals=0;this.theme=localStorage.getItem(is)||"system";let e=window.__CLAWDBOT_CONTROL_UI_BASE_PATH__||"",t=`${location.protocol==="https:"?"wss":"ws"}://${location.host}${e}/`;this.gw=new $e(t,Xs());for(let s of Ge){let n=s.make();n.gw=this.gw,n.id=`view-${s.id}`,n.classList.add("view"),this.views.set(s.id,n)}this.views.get("approvals").onCount=s=>{this.approvals=s,this.requestUpdate()},this.applyTheme(),this.wire()}createRenderRoot(){return this}connectedCallback(){super.connectedCallback(),window.addEventListener("hashchange",()=>this.go(rs(),!1));let e=ns();e?this.gw.start(e):Et()?this.gw.start({}):this.showLogin=!0,this.setActive(),setInterval(()=>this.views.get(this.route)?.requestUpdate(),5e3)}wire(){let e=this.gw;e.addEventListener("state",t=>{let{state:s,reason:n}=t.detail;if(this.conn=s,document.body.dataset.conn=s,s==="disconnected"||s==="connecting"&&e.attempt>0?this.banner=`Disconnected from the gateway${n?` (${n})`:""}. Reconnecting…`:this.banner="",s==="unauthorized"&&(this.showLogin=!0,this.loginError=`The gateway refused the token: ${n||"unauthorized"}`),s!=="connected")for(let a of this.views.values())a.disconnected();this.requestUpdate()}),e.addEventListener("retry",t=>{let s=t.detail;this.banner=e.pairingRequestId?`This browser is waiting for device pairing approval (request ${e.pairingRequestId}): approve it from a paired Control UI or with the CLI. Retrying in ${(s.delay/1e3).toFixed(1)} s…`:`Disconnected from the gateway. Reconnecting in ${(s.delay/1e3).toFixed(1)} s (attempt ${s.attempt})…`,this.requestUpdate()}),e.addEventListener("hello",t=>{let s=t.detail;this.showLogin=!1,this.loginError="";let n=s.server||{};this.serverInfo=`${n.host?n.host+" · ":""}${/^\d/.test(n.version||"")?"v":""}${n.version??""}${n.commit?" ("+n.commit.slice(0,7)+")":""}`,this.canvasUrl=s.canvasHostUrl?`${s.canvasHostUrl}/__clawdbot__/canvas/`:"";let a=s.snapshot||{};this.views.get("overview").applyHello(a),this.views.get("chat").setSession(a.sessionDefaults?.mainSessionKey||"main"),this.views.get("sessions").mainKey=a.sessionDefaults?.mainSessionKey||"",this.requestUpdate();for(let c of this.views.values())c.connected()}),e.addEventListener("gap",()=>{for(let t of this.views.values())t.connected()}),e.addEventListener("event",t=>{let s=t.detail;s.event==="shutdown"&&(this.banner=s.payload?.restartExpectedMs?"The gateway is restarting…":"The gateway is stopping…",this.requestUpdate());for(let n of this.views.values())n.onEvent(s)})}go(e,t=!0){t&&location.hash!==`#/${e}`&&(location.hash=`#/${e}`),this.route=e,this.setActive(),this.requestUpdate()}setActive(){for(let[e,t]of this.views){let s=e===this.route,n=t.active;t.active=s,t.hidden=!s,s&&!n&&this.gw.state==="connected"&&t.shown()}}applyTheme(){this.theme==="system"?delete document.documentElement.dataset.theme:document.documentElement.dataset.theme=this.theme}cycleTheme(){this.theme={system:"light",light:"dark",dark:"system"}[this.theme]||"system",localStorage.setItem(is,this.theme),this.applyTheme(),this.requestUpdate()}login(e){e.preventDefault();let t=this.querySelector("#token"),s=this.querySelector("#use-password"),n=t.value.trim(),a=n?s.checked?{password:n}:{token:n}:{};localStorage.setItem(Je,JSON.stringify(a)),t.value="",this.showLogin=!1,this.loginError="",this.requestUpdate(),this.gw.start(a)}logout(){localStorage.removeItem(Je),St(),this.gw.stop(),this.showLogin=!0,this.requestUpdate()}updated(){this.showLogin&&this.querySelector("#token")?.focus()}render(){let e={idle:"not connected",connecting:"connecting…",connected:"connected",disconnected:"disconnected",unauthorized:"token rejected"}[this.conn],t=!this.showLogin&&this.gw.hello!=null;return o`
      <a class="skip" href="#dash">Skip to content</a>
      <header class="top">
        <div class="brand"><span class="logo" aria-hidden="true"></span><span>Clawdbot</span> <small>control</small></div>
        <span id="conn" class="pill" data-state=${this.conn} role="status">${e}</span>
        <span id="server-info" class="muted">${this.serverInfo}</span>
        <span class="spacer"></span>
        <a id="canvas-link" class="link" target="_blank" rel="noopener" ?hidden=${!this.canvasUrl} href=${this.canvasUrl||d}>Canvas ↗</a>
        <button id="theme" class="ghost" @click=${this.cycleTheme} aria-label="Theme: ${this.theme} (click to change)">${{system:"◐ auto",light:"☀ light",dark:"☾ dark"}[this.theme]??this.theme}</button>
        <button id="logout" class="ghost" @click=${this.logout}>Change token</button>
      </header>
      <div id="banner" class="banner" role="status" ?hidden=${!this.banner}>
        <span id="banner-text">${this.banner}</span>
        <button id="reconnect-now" class="ghost" @click=${()=>{let s=ns();s&&this.gw.start(s)}}>Retry now</button>
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
        ${Ge.map(s=>o`<a id="nav-${s.id}" href="#/${s.id}" aria-current=${s.id===this.route?"page":d}
            @click=${n=>(n.preventDefault(),this.go(s.id))}>${s.label}${s.id==="approvals"&&this.approvals?o` <span id="approvals-badge" class="count alert" aria-label="${this.approvals} waiting">${this.approvals}</span>`:d}</a>`)}
      </nav>
      <main id="dash" tabindex="-1" ?hidden=${!t}>${[...this.views.values()]}</main>`}};customElements.define("cb-app",le);var Ys=new le;document.body.append(Ys);export{Vs as registerConfigForm};
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
