var xe=globalThis,_e=xe.ShadowRoot&&(xe.ShadyCSS===void 0||xe.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,wt=Symbol(),bt=new WeakMap,Ie=class{constructor(i,e,t){if(this._$cssResult$=!0,t!==wt)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=i,this.t=e}get styleSheet(){let i=this.o,e=this.t;if(_e&&i===void 0){let t=e!==void 0&&e.length===1;t&&(i=bt.get(e)),i===void 0&&((this.o=i=new CSSStyleSheet).replaceSync(this.cssText),t&&bt.set(e,i))}return i}toString(){return this.cssText}},kt=n=>new Ie(typeof n=="string"?n:n+"",void 0,wt);var Et=(n,i)=>{if(_e)n.adoptedStyleSheets=i.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of i){let t=document.createElement("style"),s=xe.litNonce;s!==void 0&&t.setAttribute("nonce",s),t.textContent=e.cssText,n.appendChild(t)}},Ye=_e?n=>n:n=>n instanceof CSSStyleSheet?(i=>{let e="";for(let t of i.cssRules)e+=t.cssText;return kt(e)})(n):n;var{is:Xs,defineProperty:Qs,getOwnPropertyDescriptor:Zs,getOwnPropertyNames:ei,getOwnPropertySymbols:ti,getPrototypeOf:si}=Object,Le=globalThis,At=Le.trustedTypes,ii=At?At.emptyScript:"",ni=Le.reactiveElementPolyfillSupport,ne=(n,i)=>n,Xe={toAttribute(n,i){switch(i){case Boolean:n=n?ii:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,i){let e=n;switch(i){case Boolean:e=n!==null;break;case Number:e=n===null?null:Number(n);break;case Object:case Array:try{e=JSON.parse(n)}catch{e=null}}return e}},Tt=(n,i)=>!Xs(n,i),St={attribute:!0,type:String,converter:Xe,reflect:!1,useDefault:!1,hasChanged:Tt};Symbol.metadata??=Symbol("metadata"),Le.litPropertyMetadata??=new WeakMap;var H=class extends HTMLElement{static addInitializer(i){this._$Ei(),(this.l??=[]).push(i)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(i,e=St){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(i)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(i,e),!e.noAccessor){let t=Symbol(),s=this.getPropertyDescriptor(i,t,e);s!==void 0&&Qs(this.prototype,i,s)}}static getPropertyDescriptor(i,e,t){let{get:s,set:r}=Zs(this.prototype,i)??{get(){return this[e]},set(a){this[e]=a}};return{get:s,set(a){let l=s?.call(this);r?.call(this,a),this.requestUpdate(i,l,t)},configurable:!0,enumerable:!0}}static getPropertyOptions(i){return this.elementProperties.get(i)??St}static _$Ei(){if(this.hasOwnProperty(ne("elementProperties")))return;let i=si(this);i.finalize(),i.l!==void 0&&(this.l=[...i.l]),this.elementProperties=new Map(i.elementProperties)}static finalize(){if(this.hasOwnProperty(ne("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(ne("properties"))){let e=this.properties,t=[...ei(e),...ti(e)];for(let s of t)this.createProperty(s,e[s])}let i=this[Symbol.metadata];if(i!==null){let e=litPropertyMetadata.get(i);if(e!==void 0)for(let[t,s]of e)this.elementProperties.set(t,s)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let s=this._$Eu(e,t);s!==void 0&&this._$Eh.set(s,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(i){let e=[];if(Array.isArray(i)){let t=new Set(i.flat(1/0).reverse());for(let s of t)e.unshift(Ye(s))}else i!==void 0&&e.push(Ye(i));return e}static _$Eu(i,e){let t=e.attribute;return t===!1?void 0:typeof t=="string"?t:typeof i=="string"?i.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(i=>this.enableUpdating=i),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(i=>i(this))}addController(i){(this._$EO??=new Set).add(i),this.renderRoot!==void 0&&this.isConnected&&i.hostConnected?.()}removeController(i){this._$EO?.delete(i)}_$E_(){let i=new Map,e=this.constructor.elementProperties;for(let t of e.keys())this.hasOwnProperty(t)&&(i.set(t,this[t]),delete this[t]);i.size>0&&(this._$Ep=i)}createRenderRoot(){let i=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Et(i,this.constructor.elementStyles),i}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(i=>i.hostConnected?.())}enableUpdating(i){}disconnectedCallback(){this._$EO?.forEach(i=>i.hostDisconnected?.())}attributeChangedCallback(i,e,t){this._$AK(i,t)}_$ET(i,e){let t=this.constructor.elementProperties.get(i),s=this.constructor._$Eu(i,t);if(s!==void 0&&t.reflect===!0){let r=(t.converter?.toAttribute!==void 0?t.converter:Xe).toAttribute(e,t.type);this._$Em=i,r==null?this.removeAttribute(s):this.setAttribute(s,r),this._$Em=null}}_$AK(i,e){let t=this.constructor,s=t._$Eh.get(i);if(s!==void 0&&this._$Em!==s){let r=t.getPropertyOptions(s),a=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:Xe;this._$Em=s;let l=a.fromAttribute(e,r.type);this[s]=l??this._$Ej?.get(s)??l,this._$Em=null}}requestUpdate(i,e,t,s=!1,r){if(i!==void 0){let a=this.constructor;if(s===!1&&(r=this[i]),t??=a.getPropertyOptions(i),!((t.hasChanged??Tt)(r,e)||t.useDefault&&t.reflect&&r===this._$Ej?.get(i)&&!this.hasAttribute(a._$Eu(i,t))))return;this.C(i,e,t)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(i,e,{useDefault:t,reflect:s,wrapped:r},a){t&&!(this._$Ej??=new Map).has(i)&&(this._$Ej.set(i,a??e??this[i]),r!==!0||a!==void 0)||(this._$AL.has(i)||(this.hasUpdated||t||(e=void 0),this._$AL.set(i,e)),s===!0&&this._$Em!==i&&(this._$Eq??=new Set).add(i))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let i=this.scheduleUpdate();return i!=null&&await i,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,r]of this._$Ep)this[s]=r;this._$Ep=void 0}let t=this.constructor.elementProperties;if(t.size>0)for(let[s,r]of t){let{wrapped:a}=r,l=this[s];a!==!0||this._$AL.has(s)||l===void 0||this.C(s,void 0,r,l)}}let i=!1,e=this._$AL;try{i=this.shouldUpdate(e),i?(this.willUpdate(e),this._$EO?.forEach(t=>t.hostUpdate?.()),this.update(e)):this._$EM()}catch(t){throw i=!1,this._$EM(),t}i&&this._$AE(e)}willUpdate(i){}_$AE(i){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(i)),this.updated(i)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(i){return!0}update(i){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(i){}firstUpdated(i){}};H.elementStyles=[],H.shadowRootOptions={mode:"open"},H[ne("elementProperties")]=new Map,H[ne("finalized")]=new Map,ni?.({ReactiveElement:H}),(Le.reactiveElementVersions??=[]).push("2.1.2");var Ze=globalThis,xt=n=>n,Me=Ze.trustedTypes,It=Me?Me.createPolicy("lit-html",{createHTML:n=>n}):void 0,et="$lit$",j=`lit$${Math.random().toFixed(9).slice(2)}$`,tt="?"+j,ri=`<${tt}>`,J=document,ae=()=>J.createComment(""),oe=n=>n===null||typeof n!="object"&&typeof n!="function",st=Array.isArray,Ut=n=>st(n)||typeof n?.[Symbol.iterator]=="function",Qe=`[ 	
\f\r]`,re=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,_t=/-->/g,Lt=/>/g,V=RegExp(`>|${Qe}(?:([^\\s"'>=/]+)(${Qe}*=${Qe}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Mt=/'/g,Rt=/"/g,qt=/^(?:script|style|textarea|title)$/i,it=n=>(i,...e)=>({_$litType$:n,strings:i,values:e}),o=it(1),zi=it(2),Ji=it(3),U=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),Ct=new WeakMap,z=J.createTreeWalker(J,129);function Nt(n,i){if(!st(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return It!==void 0?It.createHTML(i):i}var Ot=(n,i)=>{let e=n.length-1,t=[],s,r=i===2?"<svg>":i===3?"<math>":"",a=re;for(let l=0;l<e;l++){let h=n[l],c,p,v=-1,u=0;for(;u<h.length&&(a.lastIndex=u,p=a.exec(h),p!==null);)u=a.lastIndex,a===re?p[1]==="!--"?a=_t:p[1]!==void 0?a=Lt:p[2]!==void 0?(qt.test(p[2])&&(s=RegExp("</"+p[2],"g")),a=V):p[3]!==void 0&&(a=V):a===V?p[0]===">"?(a=s??re,v=-1):p[1]===void 0?v=-2:(v=a.lastIndex-p[2].length,c=p[1],a=p[3]===void 0?V:p[3]==='"'?Rt:Mt):a===Rt||a===Mt?a=V:a===_t||a===Lt?a=re:(a=V,s=void 0);let g=a===V&&n[l+1].startsWith("/>")?" ":"";r+=a===re?h+ri:v>=0?(t.push(c),h.slice(0,v)+et+h.slice(v)+j+g):h+j+(v===-2?l:g)}return[Nt(n,r+(n[e]||"<?>")+(i===2?"</svg>":i===3?"</math>":"")),t]},le=class n{constructor({strings:i,_$litType$:e},t){let s;this.parts=[];let r=0,a=0,l=i.length-1,h=this.parts,[c,p]=Ot(i,e);if(this.el=n.createElement(c,t),z.currentNode=this.el.content,e===2||e===3){let v=this.el.content.firstChild;v.replaceWith(...v.childNodes)}for(;(s=z.nextNode())!==null&&h.length<l;){if(s.nodeType===1){if(s.hasAttributes())for(let v of s.getAttributeNames())if(v.endsWith(et)){let u=p[a++],g=s.getAttribute(v).split(j),y=/([.?@])?(.*)/.exec(u);h.push({type:1,index:r,name:y[2],strings:g,ctor:y[1]==="."?Ce:y[1]==="?"?Ue:y[1]==="@"?qe:G}),s.removeAttribute(v)}else v.startsWith(j)&&(h.push({type:6,index:r}),s.removeAttribute(v));if(qt.test(s.tagName)){let v=s.textContent.split(j),u=v.length-1;if(u>0){s.textContent=Me?Me.emptyScript:"";for(let g=0;g<u;g++)s.append(v[g],ae()),z.nextNode(),h.push({type:2,index:++r});s.append(v[u],ae())}}}else if(s.nodeType===8)if(s.data===tt)h.push({type:2,index:r});else{let v=-1;for(;(v=s.data.indexOf(j,v+1))!==-1;)h.push({type:7,index:r}),v+=j.length-1}r++}}static createElement(i,e){let t=J.createElement("template");return t.innerHTML=i,t}};function W(n,i,e=n,t){if(i===U)return i;let s=t!==void 0?e._$Co?.[t]:e._$Cl,r=oe(i)?void 0:i._$litDirective$;return s?.constructor!==r&&(s?._$AO?.(!1),r===void 0?s=void 0:(s=new r(n),s._$AT(n,e,t)),t!==void 0?(e._$Co??=[])[t]=s:e._$Cl=s),s!==void 0&&(i=W(n,s._$AS(n,i.values),s,t)),i}var Re=class{constructor(i,e){this._$AV=[],this._$AN=void 0,this._$AD=i,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(i){let{el:{content:e},parts:t}=this._$AD,s=(i?.creationScope??J).importNode(e,!0);z.currentNode=s;let r=z.nextNode(),a=0,l=0,h=t[0];for(;h!==void 0;){if(a===h.index){let c;h.type===2?c=new ee(r,r.nextSibling,this,i):h.type===1?c=new h.ctor(r,h.name,h.strings,this,i):h.type===6&&(c=new Ne(r,this,i)),this._$AV.push(c),h=t[++l]}a!==h?.index&&(r=z.nextNode(),a++)}return z.currentNode=J,s}p(i){let e=0;for(let t of this._$AV)t!==void 0&&(t.strings!==void 0?(t._$AI(i,t,e),e+=t.strings.length-2):t._$AI(i[e])),e++}},ee=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(i,e,t,s){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=i,this._$AB=e,this._$AM=t,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let i=this._$AA.parentNode,e=this._$AM;return e!==void 0&&i?.nodeType===11&&(i=e.parentNode),i}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(i,e=this){i=W(this,i,e),oe(i)?i===d||i==null||i===""?(this._$AH!==d&&this._$AR(),this._$AH=d):i!==this._$AH&&i!==U&&this._(i):i._$litType$!==void 0?this.$(i):i.nodeType!==void 0?this.T(i):Ut(i)?this.k(i):this._(i)}O(i){return this._$AA.parentNode.insertBefore(i,this._$AB)}T(i){this._$AH!==i&&(this._$AR(),this._$AH=this.O(i))}_(i){this._$AH!==d&&oe(this._$AH)?this._$AA.nextSibling.data=i:this.T(J.createTextNode(i)),this._$AH=i}$(i){let{values:e,_$litType$:t}=i,s=typeof t=="number"?this._$AC(i):(t.el===void 0&&(t.el=le.createElement(Nt(t.h,t.h[0]),this.options)),t);if(this._$AH?._$AD===s)this._$AH.p(e);else{let r=new Re(s,this),a=r.u(this.options);r.p(e),this.T(a),this._$AH=r}}_$AC(i){let e=Ct.get(i.strings);return e===void 0&&Ct.set(i.strings,e=new le(i)),e}k(i){st(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,t,s=0;for(let r of i)s===e.length?e.push(t=new n(this.O(ae()),this.O(ae()),this,this.options)):t=e[s],t._$AI(r),s++;s<e.length&&(this._$AR(t&&t._$AB.nextSibling,s),e.length=s)}_$AR(i=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);i!==this._$AB;){let t=xt(i).nextSibling;xt(i).remove(),i=t}}setConnected(i){this._$AM===void 0&&(this._$Cv=i,this._$AP?.(i))}},G=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(i,e,t,s,r){this.type=1,this._$AH=d,this._$AN=void 0,this.element=i,this.name=e,this._$AM=s,this.options=r,t.length>2||t[0]!==""||t[1]!==""?(this._$AH=Array(t.length-1).fill(new String),this.strings=t):this._$AH=d}_$AI(i,e=this,t,s){let r=this.strings,a=!1;if(r===void 0)i=W(this,i,e,0),a=!oe(i)||i!==this._$AH&&i!==U,a&&(this._$AH=i);else{let l=i,h,c;for(i=r[0],h=0;h<r.length-1;h++)c=W(this,l[t+h],e,h),c===U&&(c=this._$AH[h]),a||=!oe(c)||c!==this._$AH[h],c===d?i=d:i!==d&&(i+=(c??"")+r[h+1]),this._$AH[h]=c}a&&!s&&this.j(i)}j(i){i===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,i??"")}},Ce=class extends G{constructor(){super(...arguments),this.type=3}j(i){this.element[this.name]=i===d?void 0:i}},Ue=class extends G{constructor(){super(...arguments),this.type=4}j(i){this.element.toggleAttribute(this.name,!!i&&i!==d)}},qe=class extends G{constructor(i,e,t,s,r){super(i,e,t,s,r),this.type=5}_$AI(i,e=this){if((i=W(this,i,e,0)??d)===U)return;let t=this._$AH,s=i===d&&t!==d||i.capture!==t.capture||i.once!==t.once||i.passive!==t.passive,r=i!==d&&(t===d||s);s&&this.element.removeEventListener(this.name,this,t),r&&this.element.addEventListener(this.name,this,i),this._$AH=i}handleEvent(i){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,i):this._$AH.handleEvent(i)}},Ne=class{constructor(i,e,t){this.element=i,this.type=6,this._$AN=void 0,this._$AM=e,this.options=t}get _$AU(){return this._$AM._$AU}_$AI(i){W(this,i)}},Pt={M:et,P:j,A:tt,C:1,L:Ot,R:Re,D:Ut,V:W,I:ee,H:G,N:Ue,U:qe,B:Ce,F:Ne},ai=Ze.litHtmlPolyfillSupport;ai?.(le,ee),(Ze.litHtmlVersions??=[]).push("3.3.3");var Dt=(n,i,e)=>{let t=e?.renderBefore??i,s=t._$litPart$;if(s===void 0){let r=e?.renderBefore??null;t._$litPart$=s=new ee(i.insertBefore(ae(),r),r,void 0,e??{})}return s._$AI(n),s};var nt=globalThis,O=class extends H{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let i=super.createRenderRoot();return this.renderOptions.renderBefore??=i.firstChild,i}update(i){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(i),this._$Do=Dt(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return U}};O._$litElement$=!0,O.finalized=!0,nt.litElementHydrateSupport?.({LitElement:O});var oi=nt.litElementPolyfillSupport;oi?.({LitElement:O});(nt.litElementVersions??=[]).push("4.2.2");var R=Object.freeze({NOT_LINKED:"NOT_LINKED",NOT_PAIRED:"NOT_PAIRED",AGENT_TIMEOUT:"AGENT_TIMEOUT",INVALID_REQUEST:"INVALID_REQUEST",UNAVAILABLE:"UNAVAILABLE"});var li="clawdbot-control-ui",rt="keys",Ht="device-identity-v1",Oe="clawdbot.device.auth.v1";function Kt(n){let i="";for(let e of n)i+=String.fromCharCode(e);return btoa(i).replace(/\+/g,"-").replace(/\//g,"_").replace(/=+$/,"")}function di(n){return[...n].map(i=>i.toString(16).padStart(2,"0")).join("")}function Ft(n){let i=[n.deviceId,n.clientId,n.clientMode,n.role,n.scopes.join(","),String(n.signedAtMs),n.token];return n.nonce?["v2",...i,n.nonce].join("|"):["v1",...i].join("|")}function jt(n,i){return new Promise((e,t)=>{let s=indexedDB.open(li,1);s.onupgradeneeded=()=>s.result.createObjectStore(rt),s.onerror=()=>t(s.error),s.onsuccess=()=>{let r=s.result,a=r.transaction(rt,n),l=i(a.objectStore(rt));a.oncomplete=()=>(r.close(),e(l.result)),a.onerror=()=>(r.close(),t(a.error))}})}var at=null;function Bt(){return at||(at=ci().catch(()=>null)),at}async function ci(){if(typeof crypto>"u"||!crypto.subtle||typeof indexedDB>"u"||!globalThis.isSecureContext)return null;let n=await jt("readonly",r=>r.get(Ht)).catch(()=>{});if(n&&n.privateKey instanceof CryptoKey&&typeof n.publicKey=="string"&&typeof n.deviceId=="string")return{deviceId:n.deviceId,publicKey:n.publicKey,privateKey:n.privateKey};let i;try{i=await crypto.subtle.generateKey({name:"Ed25519"},!1,["sign","verify"])}catch{return null}let e=new Uint8Array(await crypto.subtle.exportKey("raw",i.publicKey)),t=di(new Uint8Array(await crypto.subtle.digest("SHA-256",e))),s={deviceId:t,publicKey:Kt(e),privateKey:i.privateKey};return await jt("readwrite",r=>r.put({version:1,deviceId:t,publicKey:s.publicKey,privateKey:i.privateKey,createdAtMs:Date.now()},Ht)),s}async function Vt(n,i){let e=await crypto.subtle.sign({name:"Ed25519"},n.privateKey,new TextEncoder().encode(i));return Kt(new Uint8Array(e))}function Pe(){try{let n=JSON.parse(localStorage.getItem(Oe)||"null");if(n?.version===1&&typeof n.deviceId=="string"&&n.tokens&&typeof n.tokens=="object")return n}catch{}return null}function zt(n,i){let e=Pe(),t=e&&e.deviceId===n?e.tokens[i]?.token:void 0;return typeof t=="string"&&t?t:void 0}function Jt(){let n=Pe();return!!n&&Object.values(n.tokens).some(i=>typeof i?.token=="string"&&i.token!=="")}function Wt(n,i,e,t=[]){let s=Pe(),r={version:1,deviceId:n,tokens:s&&s.deviceId===n?{...s.tokens}:{}};r.tokens[i]={token:e,role:i,scopes:[...t].sort(),updatedAtMs:Date.now()};try{localStorage.setItem(Oe,JSON.stringify(r))}catch{}}function ot(n,i){let e=Pe();if(!(!e||e.deviceId!==n||!e.tokens[i])){delete e.tokens[i];try{localStorage.setItem(Oe,JSON.stringify(e))}catch{}}}function Gt(){try{localStorage.removeItem(Oe)}catch{}}var Yt=3,Xt="clawdbot-control-ui",hi="control-ui-2";function Y(){let n=crypto.getRandomValues(new Uint8Array(16));n[6]=n[6]&15|64,n[8]=n[8]&63|128;let i=[...n].map(e=>e.toString(16).padStart(2,"0")).join("");return`${i.slice(0,8)}-${i.slice(8,12)}-${i.slice(12,16)}-${i.slice(16,20)}-${i.slice(20)}`}var se=class extends Error{constructor(i){super(i?.message||"request failed"),this.code=i?.code||R.UNAVAILABLE,this.details=i?.details,this.retryable=!!i?.retryable,this.retryAfterMs=i?.retryAfterMs}},ui=300,pi=1e4,mi=750,gi=2e3,te="operator",Qt=["operator.admin","operator.approvals","operator.pairing"],Zt=3e4,De=class extends EventTarget{constructor(e,t){super();this.url=e;this.instanceId=t;this.state="idle";this.hello=null;this.attempt=0;this.lastError="";this.pairingRequestId="";this.deviceId="";this.ws=null;this.pending=new Map;this.auth=null;this.lastSeq=null;this.lastTick=0;this.nextDelayHint=0;this.stopped=!1}start(e){this.auth=e,this.stopped=!1,this.attempt=0,clearTimeout(this.retryTimer),this.state==="unauthorized"&&(this.state="idle"),this.ws?this.ws.close(1e3,"reconnecting"):this.open()}stop(){this.stopped=!0,clearTimeout(this.retryTimer),this.ws&&this.ws.close(1e3,"bye"),this.setState("idle")}setState(e,t={}){this.state=e,this.emit("state",{state:e,...t})}emit(e,t){this.dispatchEvent(new CustomEvent(e,{detail:t}))}open(){this.setState("connecting",{attempt:this.attempt});let e;try{e=new WebSocket(this.url)}catch(a){this.lastError=String(a),this.scheduleReconnect();return}this.ws=e;let t=!1,s,r=a=>{t||e.readyState!==WebSocket.OPEN||(t=!0,clearTimeout(s),this.connect(e,a))};e.onopen=()=>{s=setTimeout(r,mi)},e.onmessage=a=>{let l;try{l=JSON.parse(a.data)}catch{return}if(l?.type==="event"&&l.event==="connect.challenge"){r(typeof l.payload?.nonce=="string"?l.payload.nonce:void 0);return}this.onFrame(l)},e.onerror=()=>{this.lastError="connection error"},e.onclose=a=>{if(clearTimeout(s),this.ws===e){this.ws=null,clearInterval(this.watchdog);for(let[,l]of this.pending)clearTimeout(l.timer),l.reject(new se({code:R.UNAVAILABLE,message:"disconnected",retryable:!0}));this.pending.clear(),a.reason&&(this.lastError=`${a.code} ${a.reason}`),!(this.state==="unauthorized"||this.stopped)&&(this.setState("disconnected",{code:a.code,reason:a.reason||this.lastError}),this.scheduleReconnect())}}}async connect(e,t){let s=await Bt();this.deviceId=s?.deviceId??"";let r=s?zt(s.deviceId,te):void 0,a=r??this.auth?.token,l={minProtocol:Yt,maxProtocol:Yt,client:{id:Xt,displayName:"Control UI",version:hi,platform:navigator.platform||"web",mode:"webchat",instanceId:this.instanceId},role:te,scopes:Qt,caps:[],userAgent:navigator.userAgent,locale:navigator.language};if((a||this.auth?.password)&&(l.auth={...a?{token:a}:{},...this.auth?.password?{password:this.auth.password}:{}}),s){let h=Date.now(),c=Ft({deviceId:s.deviceId,clientId:Xt,clientMode:"webchat",role:te,scopes:Qt,signedAtMs:h,token:a??"",nonce:t});try{l.device={id:s.deviceId,publicKey:s.publicKey,signature:await Vt(s,c),signedAt:h,...t?{nonce:t}:{}}}catch{this.deviceId=""}}if(e.readyState===WebSocket.OPEN)try{let h=await this.send(e,"connect",l,Zt);s&&l.device&&h?.auth?.deviceToken&&Wt(s.deviceId,h.auth.role||te,h.auth.deviceToken,h.auth.scopes),this.pairingRequestId="",this.hello=h,this.attempt=0,this.nextDelayHint=0,this.lastSeq=null,this.lastTick=Date.now();let c=h?.policy?.tickIntervalMs||3e4;clearInterval(this.watchdog),this.watchdog=setInterval(()=>{Date.now()-this.lastTick>2*c&&this.ws===e&&e.close(4e3,"tick timeout")},1e3),this.setState("connected"),this.emit("hello",h)}catch(h){let c=h,p=c.message||String(c);if(s&&r&&(this.auth?.token||this.auth?.password)&&!c.retryable&&c.code!==R.NOT_PAIRED){ot(s.deviceId,te),this.lastError=p,e.close(1e3,"device token refused");return}if(c.code===R.NOT_PAIRED&&c.details?.requestId){this.pairingRequestId=String(c.details.requestId),this.lastError=p,this.attempt=0,this.nextDelayHint=gi,this.emit("pairing",{requestId:this.pairingRequestId,deviceId:this.deviceId}),e.close(1e3,"pairing required");return}if(s&&r&&!this.auth?.token&&!this.auth?.password&&/^unauthorized/i.test(p)&&ot(s.deviceId,te),!c.retryable&&/^unauthorized|device identity required|secure context/i.test(p)){this.lastError=p,this.setState("unauthorized",{reason:p}),e.close(1e3,"unauthorized");return}c.retryAfterMs&&(this.nextDelayHint=c.retryAfterMs),this.lastError=p,e.close(1e3,"connect failed")}}scheduleReconnect(){clearTimeout(this.retryTimer);let e=Math.min(pi,ui*2**this.attempt),t=Math.max(this.nextDelayHint,Math.round(e*(.5+Math.random()/2)));this.nextDelayHint=0,this.attempt++,this.emit("retry",{delay:t,attempt:this.attempt}),this.retryTimer=setTimeout(()=>this.open(),t)}onFrame(e){if(this.emit("frame",e),e?.type==="res"){let s=this.pending.get(e.id);if(!s)return;this.pending.delete(e.id),clearTimeout(s.timer),e.ok?s.resolve(e.payload):s.reject(new se(e.error));return}if(e?.type!=="event")return;typeof e.seq=="number"&&(this.lastSeq!==null&&e.seq>this.lastSeq+1&&this.emit("gap",{expected:this.lastSeq+1,received:e.seq}),this.lastSeq=e.seq),e.event==="tick"&&(this.lastTick=Date.now()),e.event==="shutdown"&&e.payload?.restartExpectedMs&&(this.nextDelayHint=e.payload.restartExpectedMs);let t={event:e.event,payload:e.payload,stateVersion:e.stateVersion,seq:e.seq};this.emit("event",t)}send(e,t,s,r){return new Promise((a,l)=>{let h=Y(),c=setTimeout(()=>{this.pending.delete(h),l(new se({code:R.UNAVAILABLE,message:`${t}: timed out`,retryable:!0}))},r);this.pending.set(h,{resolve:a,reject:l,timer:c}),e.send(JSON.stringify({type:"req",id:h,method:t,params:s}))})}request(e,t={},s=Zt){return this.state!=="connected"||!this.ws?Promise.reject(new se({code:R.UNAVAILABLE,message:"not connected",retryable:!0})):this.send(this.ws,e,t,s)}supports(e){let t=this.hello?.features?.methods;return!Array.isArray(t)||t.includes(e)}};var E=class extends O{constructor(){super(...arguments);this.active=!1;this.errors=new Map}createRenderRoot(){return this}updated(){for(let e of this.querySelectorAll("select[data-value]")){let t=e.dataset.value??"";e.value!==t&&(e.value=t)}}connected(){}disconnected(){}onEvent(e){}shown(){}setError(e,t){t?this.errors.set(e,t):this.errors.delete(e),this.requestUpdate()}errorLine(e){let t=this.errors.get(e);if(!t)return d;let s=t.code===R.UNAVAILABLE;return o`<p id="${e}-error" class="error ${s?"soft":""}" role="alert">${t.message}</p>`}async call(e,t,s={}){try{let r=await this.gw.request(t,s);return this.setError(e,null),r}catch(r){this.setError(e,r);return}}};function I(n,i=Date.now()){if(!n)return"—";let e=Math.max(0,Math.round((i-n)/1e3));if(e<5)return"just now";if(e<60)return`${e}s ago`;let t=Math.round(e/60);if(t<60)return`${t}m ago`;let s=Math.round(t/60);return s<48?`${s}h ago`:`${Math.round(s/24)}d ago`}function de(n){if(n==null)return"—";let i=Math.floor(n/1e3),e=Math.floor(i/86400),t=Math.floor(i%86400/3600),s=Math.floor(i%3600/60);return e?`${e}d ${t}h`:t?`${t}h ${s}m`:s?`${s}m ${i%60}s`:`${i}s`}function X(n){return n?new Date(n).toLocaleString():"—"}function He(n){if(n==null)return"";if(typeof n=="string")return n;let i=n.content??n.text;return typeof i=="string"?i:Array.isArray(i)?i.filter(e=>e&&(e.type==="text"||typeof e.text=="string")).map(e=>e.text??"").join(""):""}var lt="default",fi=["whatsapp","telegram"];function es(n){return typeof n=="number"&&Number.isFinite(n)?n:null}function ts(n){return typeof n=="boolean"?n:null}function ss(n,i,e,t){let s=i.probe??t?.probe??null,r=i.botUsername??i.bot?.username??(i.probe?.bot?.username||"");return{channel:n,accountId:String(i.accountId||lt),name:typeof i.name=="string"?i.name:"",isDefault:e,enabled:i.enabled!==!1,configured:!!i.configured,linked:ts(i.linked),running:!!i.running,connected:ts(i.connected),mode:typeof i.mode=="string"?i.mode:"",bot:r?String(r):"",lastError:typeof i.lastError=="string"?i.lastError:"",lastInboundAt:es(i.lastInboundAt),lastOutboundAt:es(i.lastOutboundAt),probe:s}}function dt(n,i){let e=n?.channelAccounts?.[i];return Array.isArray(e)&&e.length>0}function vi(n){if(!n||typeof n!="object")return[];let i=[],e=t=>{typeof t=="string"&&t&&!i.includes(t)&&i.push(t)};Array.isArray(n.channelOrder)&&n.channelOrder.forEach(e);for(let t of fi)n[t]&&typeof n[t]=="object"&&e(t);return n.channelAccounts&&typeof n.channelAccounts=="object"&&Object.keys(n.channelAccounts).forEach(e),i}function je(n,i){let e=n?.[i]??n?.channels?.[i];if(dt(n,i)){let t=n.channelDefaultAccountId?.[i]??lt;return n.channelAccounts[i].filter(r=>r&&typeof r=="object").map(r=>ss(i,r,r.accountId===t,r.accountId===t?e:null)).sort((r,a)=>Number(a.isDefault)-Number(r.isDefault)||r.accountId.localeCompare(a.accountId))}return e&&typeof e=="object"?[ss(i,{accountId:lt,...e},!0,null)]:[]}function is(n){return vi(n).flatMap(i=>je(n,i))}function Ke(n){return n.enabled?n.configured?n.linked===!1?"not linked":n.connected===!0?"connected":n.running?"running":"stopped":"not configured":"disabled"}function Fe(n){return n.enabled&&n.configured&&n.linked!==!1&&(n.running||n.connected===!0)&&!n.lastError}function rs(n){if(!n||n.eligible)return[];let i=[];n.disabled&&i.push("disabled in skills.entries"),n.blockedByAllowlist&&i.push("not in skills.allowBundled");let e=n.missing||{},t=s=>Array.isArray(s)?s.filter(Boolean):[];return t(e.bins).length&&i.push(`missing binary: ${t(e.bins).join(", ")}`),t(e.anyBins).length&&i.push(`needs one of: ${t(e.anyBins).join(", ")}`),t(e.env).length&&i.push(`missing env: ${t(e.env).join(", ")}`),t(e.config).length&&i.push(`config not set: ${t(e.config).join(", ")}`),t(e.os).length&&i.push(`only on: ${t(e.os).join(", ")}`),i.length||i.push("not eligible"),i}function as(n){let i=n.trim();if(i)try{return JSON.parse(i)}catch(e){throw new Error(`params are not valid JSON: ${e.message}`)}}var yi=4e3;function ce(n,i=yi){let e;if(n==null)e="";else if(typeof n=="string")e=n;else if(typeof n=="object"&&Array.isArray(n.content))e=n.content.map(t=>typeof t?.text=="string"?t.text:t?.type==="image"?"[image]":JSON.stringify(t)).join(`
`);else try{e=JSON.stringify(n,null,2)}catch{e=String(n)}return e.length>i&&(e=e.slice(0,i)+`… (${e.length-i} more characters)`),e}function os(n){let i=/^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(n);return i?{mimeType:i[1],content:i[2]}:null}var ns=5e6,Be=8;function ls(n,i){let e=n.name||"the file";return(n.type||"").startsWith("image/")?n.size>ns?`${e} is larger than ${ns/1e6} MB`:n.size===0?`${e} is empty`:i>=Be?`at most ${Be} images per message`:"":`${e} is not an image`}function ds(n,i){let e={},t=a=>(a??"").trim(),s=t(n.label);if(s.length>64)throw new Error("the label is longer than 64 characters");s!==(i?.label??"")&&(e.label=s||null);let r=t(n.model);return r!==ct(i)&&r!==(i?.model??"")&&(e.model=r||null),t(n.thinking)!==(i?.thinkingLevel??"")&&(e.thinkingLevel=t(n.thinking)||null),t(n.verbose)!==(i?.verboseLevel??"")&&(e.verboseLevel=t(n.verbose)||null),e}function ct(n){return n?.model?n.modelProvider&&!String(n.model).includes("/")?`${n.modelProvider}/${n.model}`:String(n.model):""}function cs(n,i){let e={},t=(n.name??"").trim();if(!t)throw new Error("a name is required");if(t!==i?.name&&(e.name=t),n.every!=null&&i?.schedule?.kind==="every"){let s=Number(n.every);if(!(s>0))throw new Error("the interval must be a positive number of minutes");let r=Math.round(s*6e4);r!==i.schedule.everyMs&&(e.schedule={kind:"every",everyMs:r})}if(n.expr!=null&&i?.schedule?.kind==="cron"){let s=n.expr.trim();if(!s)throw new Error("a cron expression is required");let r=(n.tz??"").trim();(s!==i.schedule.expr||r!==(i.schedule.tz??""))&&(e.schedule={kind:"cron",expr:s,...r?{tz:r}:{}})}if(n.text!=null){let s=n.text.trim();if(!s)throw new Error("the text is required");let r=i?.payload||{};r.kind==="agentTurn"&&s!==r.message&&(e.payload={kind:"agentTurn",message:s}),r.kind==="systemEvent"&&s!==r.text&&(e.payload={kind:"systemEvent",text:s})}return e}function hs(n){let i=(Array.isArray(n)?n:[]).filter(t=>t&&typeof t=="object"&&t.reason!=="disconnect"),e=t=>{let s=new Map;for(let r of i)for(let a of t(r))s.set(a,(s.get(a)??0)+1);return[...s].sort((r,a)=>a[1]-r[1]||r[0].localeCompare(a[0]))};return{total:i.length,byMode:e(t=>[typeof t.mode=="string"&&t.mode?t.mode:"unknown"]),byRole:e(t=>Array.isArray(t.roles)&&t.roles.length?t.roles.filter(s=>typeof s=="string"):[])}}function us(n){let i=n?.agents?.defaults?.model;return typeof i=="string"?i:i&&typeof i=="object"&&typeof i.primary=="string"?i.primary:""}function ps(n){let i=n?.models?.providers;if(!i||typeof i!="object"||Array.isArray(i))return{providers:[],count:0};let e=Object.keys(i).sort(),t=e.reduce((s,r)=>s+(Array.isArray(i[r]?.models)?i[r].models.length:0),0);return{providers:e,count:t}}function Ve(n,i){let e=[...n?.nodes??[]],t=new Set(e.map(s=>s.nodeId));for(let s of i?.paired??[])t.has(s.nodeId)||e.push({...s,paired:!0,connected:!1});return{nodes:e,pending:i?.pending??[]}}var $i=[{name:"new",args:"",description:"start a new session"},{name:"reset",args:"",description:"reset the session"},{name:"status",args:"",description:"session status"},{name:"stop",args:"",description:"abort the running reply"},{name:"think",args:"<level>",description:"thinking level: off, minimal, low, medium, high, xhigh"},{name:"model",args:"<id>",description:"show or set the session's model"},{name:"compact",args:"",description:"compact the session's context"},{name:"verbose",args:"on|full|off",description:"tool output in replies"},{name:"help",args:"",description:"list the commands"},{name:"approve",args:"<id> allow-once|allow-always|deny",description:"answer an exec approval"}];function ms(n){let i=/^\/([A-Za-z]*)$/.exec(n);if(!i)return[];let e=i[1].toLowerCase();return $i.filter(t=>t.name.startsWith(e))}var gs=1e3;function fs(n,i){let e=0,t=null;return()=>{let s=e+i-Date.now();s<=0?(e=Date.now(),n()):t||(t=setTimeout(()=>{t=null,e=Date.now(),n()},s))}}var he=class extends E{constructor(){super(...arguments);this.health=null;this.healthVersion=0;this.presence=[];this.presenceVersion=0;this.nodes=[];this.pending=[];this.uptimeBase=null;this.busy=new Set;this.pairErrors=new Map;this.channels=null;this.heartbeat=null;this.heartbeatLoaded=!1;this.cron=null;this.cronLast=null;this.models=null;this.catalogBusy=!1;this.configModels={providers:[],count:0};this.defaultModelId="";this.channelsSoon=fs(()=>{this.refreshChannels()},gs);this.cronSoon=fs(()=>{this.refreshCron()},gs)}applyHello(e){this.healthVersion=0,this.presenceVersion=0,this.applyHealth(e?.health,e?.stateVersion?.health),this.applyPresence(e?.presence,e?.stateVersion?.presence),this.uptimeBase=e?.uptimeMs!=null?{ms:e.uptimeMs,at:Date.now()}:null}connected(){this.refreshHealth(),this.refreshPresence(),this.refreshNodes(),this.refreshChannels(),this.refreshHeartbeat(),this.refreshCron(),this.refreshModels()}shown(){this.refreshModels()}onEvent(e){let t=e.payload;switch(e.event){case"health":this.applyHealth(t,e.stateVersion?.health),this.channelsSoon();break;case"heartbeat":t&&typeof t=="object"&&(!this.heartbeat||(t.ts??0)>=(this.heartbeat.ts??0))&&(this.heartbeat=t,this.heartbeatLoaded=!0,this.requestUpdate());break;case"cron":t&&typeof t=="object"&&(this.cronLast=t),this.cronSoon();break;case"presence":this.applyPresence(t?.presence,e.stateVersion?.presence);break;case"node.pair.requested":t&&!this.pending.some(s=>s.requestId===t.requestId)&&(this.pending=[t,...this.pending],this.requestUpdate());break;case"node.pair.resolved":this.pending=this.pending.filter(s=>s.requestId!==t?.requestId),this.requestUpdate(),this.refreshNodes();break}}async refreshHealth(){let e=await this.call("health","health");e&&this.applyHealth(e,null)}async refreshPresence(){let e=await this.call("presence","system-presence");e&&this.applyPresence(e,null)}async refreshNodes(){try{let[e,t]=await Promise.all([this.gw.request("node.list"),this.gw.request("node.pair.list")]);({nodes:this.nodes,pending:this.pending}=Ve(e,t)),this.setError("nodes",null)}catch(e){this.setError("nodes",e)}}async refreshChannels(){if(!this.gw.supports("channels.status"))return;let e=await this.call("channels","channels.status",{});e&&(this.channels=e),this.requestUpdate()}async refreshHeartbeat(){if(this.gw.supports("last-heartbeat")){try{let e=await this.gw.request("last-heartbeat");e&&(!this.heartbeat||(e.ts??0)>=(this.heartbeat.ts??0))&&(this.heartbeat=e),this.setError("heartbeat",null)}catch(e){this.setError("heartbeat",e.code===R.UNAVAILABLE?null:e)}this.heartbeatLoaded=!0,this.requestUpdate()}}async refreshCron(){if(!this.gw.supports("cron.status"))return;let e=await this.call("cron","cron.status");e&&(this.cron=e),this.requestUpdate()}async refreshModels(){if(!this.gw.supports("config.get"))return;let e=await this.call("models-config","config.get");e&&(this.defaultModelId=us(e.config),this.configModels=ps(e.config)),this.requestUpdate()}async loadCatalog(){this.catalogBusy=!0,this.requestUpdate();let e=await this.call("models","models.list");this.catalogBusy=!1,e&&(this.models=Array.isArray(e.models)?e.models:[]),this.requestUpdate()}applyHealth(e,t){if(!(!e||typeof e!="object"||!("ok"in e))){if(t!=null){if(t<this.healthVersion)return;this.healthVersion=t}this.health=e,this.setError("health",null)}}applyPresence(e,t){if(Array.isArray(e)){if(t!=null){if(t<this.presenceVersion)return;this.presenceVersion=t}this.presence=e,this.setError("presence",null)}}async decide(e,t){this.busy.add(t),this.pairErrors.delete(t),this.requestUpdate();try{await this.gw.request(e,{requestId:t}),this.pending=this.pending.filter(s=>s.requestId!==t),this.refreshNodes()}catch(s){this.pairErrors.set(t,s.message)}this.busy.delete(t),this.requestUpdate()}render(){let e=this.health,t=e?.uptimeMs??(this.uptimeBase?this.uptimeBase.ms+(Date.now()-this.uptimeBase.at):null),s=(c,p,v="")=>o`<dt>${c}</dt><dd class=${v}>${p}</dd>`,r=is(this.channels),a=this.heartbeat,l=this.cron,h=hs(this.presence);return o`<div class="grid">
      <section id="health-card" class="card" aria-labelledby="health-title">
        <h2 id="health-title">Health <span id="health-badge" class="badge" data-ok=${String(!!e?.ok)}>${e?e.ok?"ok":"degraded":""}</span></h2>
        ${this.errorLine("health")}
        <dl id="health" class="kv">
          ${e?o`${s("Status",e.ok?"healthy":"degraded",e.ok?"good":"bad")} ${s("Uptime",de(t))}
              ${s("WhatsApp",e.web?.linked?"linked":"not linked",e.web?.linked?"good":"muted")}
              ${s("Telegram",e.telegram?.configured?"configured":"not configured",e.telegram?.configured?"good":"muted")}
              ${s("Sessions",String(e.sessions?.count??0))} ${e.connections!=null?s("Connections",String(e.connections)):d}
              ${s("Heartbeat",e.heartbeatSeconds?`every ${e.heartbeatSeconds}s`:"off")}
              ${e.config&&typeof e.config=="object"?s("Config",e.config.ok?"ok":e.config.error||"invalid",e.config.ok?"good":"bad"):d}
              ${s("Checked",I(e.ts))}`:d}
        </dl>
      </section>

      <section id="channels-card" class="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Channels</h2>
        ${this.errorLine("channels")}
        <p id="channels-empty" class="muted" ?hidden=${!this.channels||r.length>0}>No channels.</p>
        <ul id="channels-summary" class="plain">
          ${r.map(c=>o`<li class="channel-account" data-channel=${c.channel} data-account-id=${c.accountId}>
              <strong>${c.channel}</strong>${c.accountId!=="default"||r.filter(p=>p.channel===c.channel).length>1?o` <span class="mono">${c.accountId}</span>`:d}
              <span class="badge" data-ok=${String(Fe(c))}>${Ke(c)}</span>
              <span class="sub">${[c.configured?"configured":"not configured",c.linked==null?"":c.linked?"linked":"not linked",c.running?"running":"not running"].filter(Boolean).join(" · ")}</span>
              ${c.lastError?o`<div class="note bad">${c.lastError}</div>`:d}
            </li>`)}
        </ul>
      </section>

      <section id="heartbeat-card" class="card" aria-labelledby="heartbeat-title">
        <h2 id="heartbeat-title">Heartbeat</h2>
        ${this.errorLine("heartbeat")}
        <dl id="heartbeat" class="kv">
          ${s("Interval",e?.heartbeatSeconds?`every ${e.heartbeatSeconds}s`:"off")}
          ${a?o`${s("Last",`${a.status}${a.reason?` (${a.reason})`:""}`,a.status==="failed"?"bad":a.status==="skipped"?"muted":"good")}
              ${s("When",I(a.ts))} ${a.to?s("To",a.to):d}
              ${a.preview?s("Said",a.preview):d}`:this.heartbeatLoaded?s("Last","none yet","muted"):d}
        </dl>
      </section>

      <section id="cron-card" class="card" aria-labelledby="cron-title">
        <h2 id="cron-title">Cron <span id="cron-badge" class="badge" data-ok=${String(!!l?.enabled)}>${l?l.enabled?"enabled":"disabled":""}</span></h2>
        ${this.errorLine("cron")}
        ${l?o`<dl id="cron-status" class="kv">
              ${s("Jobs",String(l.jobs??0))}
              ${s("Next wake",l.nextWakeAtMs?`${new Date(l.nextWakeAtMs).toLocaleString()} (${l.nextWakeAtMs>Date.now()?"in "+de(l.nextWakeAtMs-Date.now()):I(l.nextWakeAtMs)})`:"—")}
              ${this.cronLast?s("Last event",`${this.cronLast.action} ${this.cronLast.jobId}${this.cronLast.status?` (${this.cronLast.status})`:""}`):d}
            </dl>`:d}
      </section>

      <section id="models-card" class="card" aria-labelledby="models-title">
        <h2 id="models-title">Models</h2>
        ${this.errorLine("models")} ${this.errorLine("models-config")}
        <dl id="models-status" class="kv">
          ${s("Default",this.defaultModelId||"not set",this.defaultModelId?"":"muted")}
          ${s("Configured",String(this.configModels.count))}
          ${s("Providers",this.configModels.providers.join(", ")||"—")}
          ${this.models?s("Catalog",String(this.models.length)):d}
        </dl>
        <button id="models-catalog" class="ghost" ?disabled=${this.catalogBusy} @click=${()=>this.loadCatalog()}>${this.catalogBusy?"Asking the providers…":"Count the catalog (models.list)"}</button>
      </section>

      <section id="connections-card" class="card" aria-labelledby="connections-title">
        <h2 id="connections-title">Connections <span id="connections-count" class="count">${h.total}</span></h2>
        <dl id="connections" class="kv">
          ${h.byMode.map(([c,p])=>o`<dt>${c}</dt><dd data-mode=${c}>${p}</dd>`)}
        </dl>
        ${h.byRole.length?o`<p id="connections-roles" class="sub">Roles: ${h.byRole.map(([c,p])=>o`<span class="tag" data-role=${c}>${c} ${p}</span> `)}</p>`:d}
      </section>

      <section id="nodes-card" class="card" aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        ${this.errorLine("nodes")}
        <h3>Pending pairing <span id="pending-count" class="count">${this.pending.length}</span></h3>
        <p id="pending-empty" class="muted" ?hidden=${this.pending.length>0}>No node is waiting for approval.</p>
        <ul id="pending" class="pending">
          ${this.pending.map(c=>{let p=this.busy.has(c.requestId),v=this.pairErrors.get(c.requestId),u=c.displayName||c.nodeId;return o`<li class="pending-item" data-request-id=${c.requestId} data-node-id=${c.nodeId}>
              <div class="grow">
                <strong>${u}</strong>${c.isRepair?o`<span class="tag">repair</span>`:d}
                <div class="sub">${[c.platform,c.version,c.remoteIp,I(c.ts)].filter(Boolean).join(" · ")}</div>
                ${v?o`<div class="note error" role="alert">${v}</div>`:d}
              </div>
              <button class="primary approve" ?disabled=${p} aria-label="Approve ${u}" @click=${()=>this.decide("node.pair.approve",c.requestId)}>Approve</button>
              <button class="danger reject" ?disabled=${p} aria-label="Reject ${u}" @click=${()=>this.decide("node.pair.reject",c.requestId)}>Reject</button>
            </li>`})}
        </ul>
        <h3>Known nodes</h3>
        <p id="nodes-empty" class="muted" ?hidden=${this.nodes.length>0}>No paired or connected nodes.</p>
        <div class="scroll">
          <table id="nodes" class="table">
            <tbody>
              ${this.nodes.map(c=>o`<tr data-node-id=${c.nodeId}>
                  <td><strong>${c.displayName||c.nodeId}</strong><div class="sub mono">${c.nodeId}</div></td>
                  <td>${[c.platform,c.version].filter(Boolean).join(" · ")||"—"}</td>
                  <td><span class="dot ${c.connected?"on":"off"}"></span>${c.connected?"connected":"offline"}</td>
                  <td>${c.paired?"paired":"unpaired"}</td>
                  <td class="sub">${(c.caps||[]).join(", ")||"—"}</td>
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
              ${this.presence.map(c=>o`<tr class=${c.reason==="disconnect"?"gone":""}>
                  <td><strong>${c.host||c.instanceId||"—"}</strong>${c.text?o`<div class="sub">${c.text}</div>`:d}</td>
                  <td>${c.mode||"—"}</td>
                  <td>${[c.platform,c.deviceFamily].filter(Boolean).join(" · ")||"—"}</td>
                  <td>${c.version||"—"}</td>
                  <td>${c.ip||"local"}</td>
                  <td>${c.reason||"—"}</td>
                  <td title=${c.ts?new Date(c.ts).toISOString():""}>${I(c.ts)}</td>
                </tr>`)}
            </tbody>
          </table>
        </div>
      </section>
    </div>`}};customElements.define("cb-overview",he);var Q={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},vs=n=>(...i)=>({_$litDirective$:n,values:i}),ze=class{constructor(i){}get _$AU(){return this._$AM._$AU}_$AT(i,e,t){this._$Ct=i,this._$AM=e,this._$Ci=t}_$AS(i,e){return this.update(i,e)}update(i,e){return this.render(...e)}};var{I:xn}=Pt;var ys=n=>n.strings===void 0;var bi={},$s=(n,i=bi)=>n._$AH=i;var bs=vs(class extends ze{constructor(n){if(super(n),n.type!==Q.PROPERTY&&n.type!==Q.ATTRIBUTE&&n.type!==Q.BOOLEAN_ATTRIBUTE)throw Error("The `live` directive is not allowed on child or event bindings");if(!ys(n))throw Error("`live` bindings can only contain a single expression")}render(n){return n}update(n,[i]){if(i===U||i===d)return i;let e=n.element,t=n.name;if(n.type===Q.PROPERTY){if(i===e[t])return U}else if(n.type===Q.BOOLEAN_ATTRIBUTE){if(!!i===e.hasAttribute(t))return U}else if(n.type===Q.ATTRIBUTE&&e.getAttribute(t)===i+"")return U;return $s(n),i}});var wi=200,ws=500,ki=50,Ei=100,ue=class extends E{constructor(){super(...arguments);this.sessionKey="main";this.msgs=[];this.runs=new Map;this.status="";this.statusError=!1;this.draft="";this.sessions=[];this.attachments=[];this.attachError="";this.hintIndex=0;this.hintsClosed=!1;this.approvals=new Map;this.transcriptId=""}setSession(e){this.sessionKey=e||"main",this.requestUpdate()}connected(){for(let e of this.activeRuns())this.finish(e,"error","connection lost during the reply");this.loadHistory(),this.active&&this.loadSessions()}shown(){this.loadSessions()}disconnected(){this.requestUpdate()}async loadSessions(){try{let e=await this.gw.request("sessions.list",{limit:Ei,includeDerivedTitles:!0});this.sessions=e?.sessions??[],this.requestUpdate()}catch{this.sessions=[]}}async switchSession(e){e!==this.sessionKey&&(this.sessionKey=e,this.msgs=[],this.runs.clear(),this.approvals.clear(),this.requestUpdate(),await this.loadHistory())}async loadHistory(){let e=this.sessionKey;try{let t=await this.gw.request("chat.history",{sessionKey:e,limit:wi});if(e!==this.sessionKey)return;t?.sessionKey&&(this.sessionKey=t.sessionKey),this.transcriptId=t?.sessionId??"",this.msgs=[],this.runs.clear();let s=new Map;for(let r of t?.messages??[]){if(r?.role==="toolResult"){let p=s.get(r.toolCallId);p&&(p.result={content:r.content},p.isError=!!r.isError,p.done=!0);continue}let a=r?.role==="user"?"user":r?.role==="assistant"?"assistant":"system",l=He(r),h=[],c=[];if(Array.isArray(r?.content))for(let p of r.content){if(p?.type==="toolCall"&&p.id){let v={id:p.id,name:p.name||"tool",args:p.arguments,done:!1};s.set(p.id,v),h.push(v)}p?.type==="image"&&typeof p.data=="string"&&/^image\//.test(p.mimeType||"")&&c.push(`data:${p.mimeType};base64,${p.data}`)}(l||h.length||c.length)&&this.msgs.push({role:a,text:l,tools:h.length?h:void 0,images:c.length?c:void 0})}this.setStatus("")}catch(t){this.setStatus(`Chat history unavailable: ${t.message}`,!1)}}setStatus(e,t=!1){this.status=e,this.statusError=t,this.requestUpdate()}activeRuns(){return[...this.runs.values()].filter(e=>e.state==="pending"||e.state==="streaming")}push(e){this.msgs.push(e),this.msgs.length>ws&&this.msgs.splice(0,this.msgs.length-ws)}async send(){let e=this.querySelector("#chat-input"),t=e.value.trim(),s=this.attachments;if(!t&&!s.length||this.gw.state!=="connected")return;e.value="",this.draft="",this.attachments=[],this.attachError="",this.push({role:"user",text:t,images:s.length?s.map(h=>h.dataUrl):void 0});let r=Y(),a={role:"assistant",text:"",runId:r,state:"pending"};this.push(a),this.runs.set(r,a),this.requestUpdate();let l={sessionKey:this.sessionKey,message:t,idempotencyKey:r};s.length&&(l.attachments=s.map(h=>({type:"image",mimeType:h.mimeType,fileName:h.name,content:h.content})));try{await this.gw.request("chat.send",l)}catch(h){this.finish(a,"error",h.message)}}async abort(){for(let e of this.activeRuns())try{await this.gw.request("chat.abort",{sessionKey:this.sessionKey,runId:e.runId})}catch(t){this.setStatus(`abort failed: ${t.message}`,!0)}}addFiles(e){let t=0;this.attachError="";for(let s of e){let r=ls(s,this.attachments.length+t);if(r){this.attachError=r;continue}t++;let a=new FileReader;a.onload=()=>{let l=String(a.result||""),h=os(l);h?this.attachments.length<Be&&(this.attachments=[...this.attachments,{name:s.name||"image",dataUrl:l,...h}]):this.attachError=`${s.name||"the image"} could not be read`,this.requestUpdate()},a.onerror=()=>{this.attachError=`${s.name||"the image"} could not be read`,this.requestUpdate()},a.readAsDataURL(s)}this.requestUpdate()}onPaste(e){let t=[...e.clipboardData?.files??[]].filter(s=>s.type.startsWith("image/"));t.length&&(e.preventDefault(),this.addFiles(t))}onEvent(e){if(e.event==="agent")return this.onAgent(e.payload);if(e.event==="exec.approval.requested"||e.event==="exec.approval.resolved")return this.onApproval(e.event,e.payload);if(e.event!=="chat")return;let t=e.payload;if(!t||t.sessionKey!==this.sessionKey&&!this.runs.has(t.runId))return;let s=this.runFor(t.runId);if(!(s.state==="final"||s.state==="error"||s.state==="aborted")){switch(t.state){case"delta":{let r=He(t.message);r.length>=s.text.length&&(s.text=r),s.state="streaming";break}case"final":{let r=He(t.message);r&&(s.text=r),this.finish(s,"final");break}case"error":this.finish(s,"error",t.errorMessage||"the run failed");break;case"aborted":this.finish(s,"aborted","stopped");break}this.requestUpdate()}}onApproval(e,t){if(!t?.id)return;if(e==="exec.approval.resolved"){this.approvals.delete(t.id)&&this.requestUpdate();return}let s=t.request??{};s.sessionKey!==this.sessionKey||this.approvals.has(t.id)||(this.approvals.set(t.id,{id:t.id,command:String(s.command??""),cwd:s.cwd}),typeof t.expiresAtMs=="number"&&setTimeout(()=>this.approvals.delete(t.id)&&this.requestUpdate(),Math.max(0,t.expiresAtMs-Date.now())),this.requestUpdate())}async resolveApproval(e,t){e.busy=!0,this.requestUpdate();let s=await this.call("chat-approval","exec.approval.resolve",{id:e.id,decision:t});e.busy=!1,s&&this.approvals.delete(e.id),this.requestUpdate()}runFor(e){let t=this.runs.get(e);return t||(t={role:"assistant",text:"",runId:e,state:"pending"},this.push(t),this.runs.set(e,t)),t}onAgent(e){if(!e||e.stream!=="tool"||!e.data||!this.runs.has(e.runId)&&(!e.sessionKey||e.sessionKey!==this.sessionKey))return;let t=this.runFor(e.runId),s=e.data,r=String(s.toolCallId||"");if(!r)return;t.tools??=[];let a=t.tools.find(l=>l.id===r);if(!a){if(t.tools.length>=ki)return;a={id:r,name:String(s.name||"tool"),done:!1},t.tools.push(a)}s.phase==="start"?a.args=s.args:s.phase==="update"?a.partial=s.partialResult:s.phase==="result"&&(a.result=s.result,a.isError=!!s.isError,a.done=!0),t.state==="pending"&&(t.state="streaming"),this.requestUpdate()}finish(e,t,s){e.state=t,e.note=s,this.requestUpdate(),t==="final"&&this.runs.has(e.runId??"")&&this.checkReset(e)}async checkReset(e){let t=this.sessionKey,s="";try{s=(await this.gw.request("chat.history",{sessionKey:t,limit:1}))?.sessionId??""}catch{return}if(!(t!==this.sessionKey||!s||s===this.transcriptId)){if(!this.transcriptId){this.transcriptId=s;return}await this.loadHistory(),t===this.sessionKey&&(this.msgs.some(r=>r.role==="assistant"&&r.text===e.text)||this.push(e),this.requestUpdate())}}updated(){super.updated();let e=this.querySelector("#chat-log");e&&(e.scrollTop=e.scrollHeight)}hints(){return this.hintsClosed?[]:ms(this.draft)}onInput(e){this.draft=e.target.value,this.hintIndex=0,this.hintsClosed=!1,this.requestUpdate()}chooseHint(e){this.draft=`/${e.name}${e.args?" ":""}`,this.hintsClosed=!0,this.requestUpdate(),this.updateComplete.then(()=>{let t=this.querySelector("#chat-input");t&&(t.focus(),t.setSelectionRange(t.value.length,t.value.length))})}onKey(e){let t=this.hints();if(t.length&&!e.isComposing){let s=t.length,r=Math.min(this.hintIndex,s-1);if(e.key==="ArrowDown"||e.key==="ArrowUp"){e.preventDefault(),this.hintIndex=(r+(e.key==="ArrowDown"?1:s-1))%s,this.requestUpdate();return}if(e.key==="Escape"){e.preventDefault(),this.hintsClosed=!0,this.requestUpdate();return}if(e.key==="Tab"||e.key==="Enter"&&!e.shiftKey&&this.draft.toLowerCase()!==`/${t[r].name}`){e.preventDefault(),this.chooseHint(t[r]);return}}e.key==="Enter"&&!e.shiftKey&&!e.isComposing&&(e.preventDefault(),this.send())}toolCard(e){let t=e.done?e.result:e.partial;return o`<details class="tool-card ${e.done?e.isError?"failed":"done":"running"}" data-tool-call-id=${e.id} data-tool=${e.name}>
      <summary><span class="tool-name mono">${e.name}</span>
        <span class="tool-state">${e.done?e.isError?"failed":"done":"running…"}</span></summary>
      <div class="sub">Input</div><pre class="tool-args out">${ce(e.args)||"—"}</pre>
      ${t!==void 0?o`<div class="sub">${e.done?"Result":"Output so far"}</div><pre class="tool-result out">${ce(t)}</pre>`:d}
    </details>`}render(){let e=this.activeRuns().length>0,t=this.hints(),s=Math.min(this.hintIndex,Math.max(t.length-1,0)),a=this.sessions.map(l=>l.key).includes(this.sessionKey)?this.sessions:[{key:this.sessionKey},...this.sessions];return o`<section id="chat-card" class="card" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat <small id="chat-session" class="mono muted">${this.sessionKey}</small>
        <span class="spacer"></span>
        <label class="inline picker"><span class="visually-hidden">Session</span>
          <select id="chat-session-picker" data-value=${this.sessionKey} @change=${l=>this.switchSession(l.target.value)}>
            ${a.map(l=>o`<option value=${l.key} ?selected=${l.key===this.sessionKey}>${l.displayName||l.derivedTitle||l.label||l.key}</option>`)}
          </select></label></h2>
      <div id="chat-log" class="chat-log" aria-live="polite" role="log" tabindex="0">
        ${this.msgs.map(l=>o`<div class="msg ${l.role} ${l.state??""}" data-run-id=${l.runId??d}>
            <div class="who">${l.role}</div>
            ${l.images?.length?o`<div class="msg-images">${l.images.map(h=>o`<img class="msg-image" src=${h} alt="attached image">`)}</div>`:d}
            ${l.tools?.length?o`<div class="tool-cards">${l.tools.map(h=>this.toolCard(h))}</div>`:d}
            <div class="text">${l.text}</div>
            ${l.note?o`<div class="note ${l.state==="error"?"error":""}">${l.note}</div>`:d}
          </div>`)}
      </div>
      ${this.approvals.size?o`<ul id="chat-approvals" class="pending" aria-label="Exec approvals for this session">
            ${[...this.approvals.values()].map(l=>o`<li class="pending-item approval" data-approval-id=${l.id}>
                <div class="grow"><span class="sub">The agent asks to run</span> <code class="cmd">${l.command}</code>
                  ${l.cwd?o`<div class="sub">in ${l.cwd}</div>`:d}</div>
                <div class="btns" role="group" aria-label="Answer for ${l.command}">
                  <button class="primary allow-once" ?disabled=${l.busy} @click=${()=>this.resolveApproval(l,"allow-once")}>Allow once</button>
                  <button class="allow-always" ?disabled=${l.busy} @click=${()=>this.resolveApproval(l,"allow-always")}>Always allow</button>
                  <button class="danger deny" ?disabled=${l.busy} @click=${()=>this.resolveApproval(l,"deny")}>Deny</button>
                </div>
              </li>`)}
          </ul>`:d}
      ${this.errorLine("chat-approval")}
      <p id="chat-status" class="${this.statusError?"error":"muted"}">${this.status}</p>
      ${this.attachments.length?o`<ul id="chat-attachments" class="attachments plain">
            ${this.attachments.map((l,h)=>o`<li class="attachment"><img src=${l.dataUrl} alt=${l.name}>
                <button type="button" class="ghost remove-attachment" aria-label="Remove ${l.name}"
                  @click=${()=>(this.attachments=this.attachments.filter((c,p)=>p!==h),this.requestUpdate())}>✕</button></li>`)}
          </ul>`:d}
      ${this.attachError?o`<p id="chat-attach-error" class="error" role="alert">${this.attachError}</p>`:d}
      ${t.length?o`<ul id="chat-commands" class="command-hints plain" role="listbox" aria-label="Chat commands">
            ${t.map((l,h)=>o`<li id="chat-cmd-${l.name}" role="option" class="command-hint ${h===s?"active":""}" aria-selected=${String(h===s)}
                data-command=${l.name} @mousedown=${c=>(c.preventDefault(),this.chooseHint(l))}>
                <span class="mono">/${l.name}</span>${l.args?o` <span class="mono muted">${l.args}</span>`:d}
                <span class="muted">— ${l.description}</span></li>`)}
          </ul>`:d}
      <form id="chat-form" class="chat-form" @submit=${l=>(l.preventDefault(),this.send())}>
        <label class="grow"><span class="visually-hidden">Message</span>
          <textarea id="chat-input" rows="2" .value=${bs(this.draft)} @input=${this.onInput}
            aria-autocomplete="list" aria-controls="chat-commands" aria-expanded=${String(t.length>0)}
            aria-activedescendant=${t.length?`chat-cmd-${t[s].name}`:d}
            @keydown=${this.onKey} @paste=${this.onPaste} placeholder="Message the agent (Enter to send, Shift+Enter for a new line, / for commands)"></textarea>
        </label>
        <label class="attach-label" title="Attach images"><span aria-hidden="true">Image</span><span class="visually-hidden">Attach images</span>
          <input id="chat-attach" type="file" accept="image/*" multiple class="visually-hidden"
            @change=${l=>{let h=l.target;this.addFiles([...h.files??[]]),h.value=""}}></label>
        <button id="chat-send" type="submit" class="primary" ?disabled=${this.gw?.state!=="connected"}>Send</button>
        <button id="chat-abort" type="button" class="danger" ?hidden=${!e} @click=${()=>this.abort()}>Stop</button>
      </form>
    </section>`}};customElements.define("cb-chat",ue);var Je=["trace","debug","info","warn","error","fatal"];function ks(n){let i=String(n??"").toLowerCase();return i==="warning"?"warn":i==="err"?"error":Je.includes(i)?i:""}function Es(n){if(typeof n=="string"){try{let i=JSON.parse(n);if(i&&typeof i.subsystem=="string")return i.subsystem}catch{}return""}return n&&typeof n=="object"&&typeof n.subsystem=="string"?n.subsystem:""}function As(n){let i;try{i=JSON.parse(n)}catch{return{raw:n,time:"",level:"",subsystem:"",message:n}}if(!i||typeof i!="object"||Array.isArray(i))return{raw:n,time:"",level:"",subsystem:"",message:n};if(i._meta||"1"in i){let c=i._meta??{};return{raw:n,time:String(i.time??c.date??""),level:ks(c.logLevelName),subsystem:Es(i[0])||Es(c.name),message:typeof i[1]=="string"?i[1]:JSON.stringify(i[1]??"")}}let{time:e,level:t,msg:s,subsystem:r,component:a,...l}=i,h=Object.entries(l).map(([c,p])=>`${c}=${typeof p=="string"?p:JSON.stringify(p)}`).join(" ");return{raw:n,time:String(e??""),level:ks(t),subsystem:String(r??a??""),message:`${s??""}${h?" "+h:""}`}}function Ss(n,i){if(n.level&&!i.levels.has(n.level)||i.subsystem&&n.subsystem!==i.subsystem)return!1;let e=i.text.trim().toLowerCase();return!(e&&!`${n.subsystem} ${n.message}`.toLowerCase().includes(e))}var Ai=2e3,Ts=2e3,pe=class extends E{constructor(){super(...arguments);this.cursor=null;this.lines=[];this.subsystems=new Set;this.file="";this.follow=!0;this.truncated=!1;this.filter={levels:new Set(Je.filter(e=>e!=="trace")),subsystem:"",text:""}}connected(){clearTimeout(this.timer),this.cursor=null,this.lines=[],this.poll()}disconnected(){clearTimeout(this.timer)}async poll(){if(clearTimeout(this.timer),this.gw.state!=="connected")return;let e={limit:500,maxBytes:25e4};this.cursor!=null&&(e.cursor=this.cursor);try{let t=await this.gw.request("logs.tail",e);t.reset&&(this.lines=[]),this.cursor=t.cursor,this.file=t.file||"",this.truncated=!!t.truncated;for(let s of t.lines??[]){let r=As(s);r.subsystem&&this.subsystems.add(r.subsystem),this.lines.push(r)}this.lines.length>Ts&&this.lines.splice(0,this.lines.length-Ts),this.setError("logs",null)}catch(t){this.setError("logs",t);let s=t;if(s.code!==R.UNAVAILABLE||/no log file/.test(s.message))return}this.gw.state==="connected"&&(this.timer=setTimeout(()=>this.poll(),this.truncated?0:Ai))}updated(){super.updated();let e=this.querySelector("#logs");e&&this.follow&&(e.scrollTop=e.scrollHeight)}onScroll(e){let t=e.target,s=t.scrollHeight-t.scrollTop-t.clientHeight<8;this.follow!==s&&(this.follow=s,this.requestUpdate())}toggleLevel(e,t){t?this.filter.levels.add(e):this.filter.levels.delete(e),this.requestUpdate()}render(){let e=this.filter,t=this.lines.filter(s=>Ss(s,e));return o`<section id="logs-card" class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs <small id="logs-file" class="mono muted">${this.file}</small></h2>
      <div class="row logs-filters">
        <fieldset id="logs-levels" class="chips">
          <legend class="sr-only">Levels</legend>
          ${Je.map(s=>o`<label class="chip lvl-${s}"><input id="logs-level-${s}" type="checkbox" .checked=${e.levels.has(s)}
              @change=${r=>this.toggleLevel(s,r.target.checked)}> ${s}</label>`)}
        </fieldset>
        <label class="inline">Subsystem
          <select id="logs-subsystem" data-value=${e.subsystem} @change=${s=>(e.subsystem=s.target.value,this.requestUpdate())}>
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
    </section>`}};customElements.define("cb-logs",pe);var Si=["off","minimal","low","medium","high","xhigh"],Ti=["off","on","full"],xi=2e3,Ii=12,me=class extends E{constructor(){super(...arguments);this.mainKey="";this.rows=[];this.path="";this.armed="";this.notice="";this.editing="";this.preview=null;this.models=[];this.lastRefresh=0;this.timer=null}connected(){this.active&&this.refresh()}shown(){this.refresh(),this.loadModels()}onEvent(e){if(e.event!=="chat"||!this.active||!["final","error","aborted"].includes(e.payload?.state))return;let t=this.lastRefresh+xi-Date.now();t<=0?this.refresh():this.timer||(this.timer=setTimeout(()=>(this.timer=null,void this.refresh()),t))}async loadModels(){try{this.models=(await this.gw.request("models.list",{}))?.models??[],this.requestUpdate()}catch{this.models=[]}}async save(e,t){e.preventDefault();let s=Object.fromEntries(new FormData(e.target).entries()),r;try{r=ds(s,t)}catch(l){this.setError("session-edit",{message:l.message,code:"INVALID_REQUEST"});return}if(!Object.keys(r).length){this.notice="Nothing changed.",this.requestUpdate();return}await this.call("session-edit","sessions.patch",{key:t.key,...r})&&(this.notice=`Session ${t.key} was updated (${Object.keys(r).join(", ")}).`,this.editing=""),await this.refresh()}async toggleEditor(e){if(this.editing=this.editing===e?"":e,this.preview=null,this.requestUpdate(),!this.editing)return;let s=(await this.call("session-edit","sessions.preview",{keys:[e],limit:Ii}))?.previews?.[0];s&&this.editing===e&&(this.preview={key:e,status:s.status,items:s.items??[]}),this.requestUpdate()}async compact(e){let t=await this.call("session-edit","sessions.compact",{key:e});t&&(this.notice=t.compacted?`Session ${e} was compacted (${t.kept??"?"} messages kept).`:`Nothing to compact${t.reason?`: ${t.reason}`:""}.`),await this.refresh()}async refresh(){this.lastRefresh=Date.now();let e=await this.call("sessions","sessions.list",{limit:200,includeDerivedTitles:!0});e&&(this.rows=e.sessions??[],this.path=e.path??"",this.requestUpdate())}async act(e,t){let s=`${e}:${t}`;if(this.armed!==s){this.armed=s,this.requestUpdate();return}this.armed="",await this.call("sessions",e==="reset"?"sessions.reset":"sessions.delete",{key:t})&&(this.notice=e==="reset"?`Session ${t} was reset.`:`Session ${t} was deleted.`),await this.refresh()}editor(e){let t=ct(e),s=this.preview;return o`<tr class="session-editor" data-editor-for=${e.key}><td colspan="6">
      ${s&&s.key===e.key?o`<div class="session-preview"><h3>Last messages</h3>
            ${s.items.length?o`<ul class="plain">${s.items.map(r=>o`<li class="preview-item ${r.role}"><span class="tag">${r.role}</span> ${r.text}</li>`)}</ul>`:o`<p class="muted">${s.status==="missing"?"No transcript yet.":"Nothing to show."}</p>`}</div>`:d}
      <form class="form-grid session-form" @submit=${r=>this.save(r,e)}>
        <label>Label <input name="label" maxlength="64" .value=${e.label??""} placeholder="none"></label>
        <label>Model <input name="model" list="session-models" .value=${t} placeholder="configured default"></label>
        <datalist id="session-models">${this.models.map(r=>o`<option value="${r.provider}/${r.id}">${r.name??r.id}</option>`)}</datalist>
        <label>Thinking <select name="thinking">
          <option value="" ?selected=${!e.thinkingLevel}>default</option>
          ${Si.map(r=>o`<option value=${r} ?selected=${e.thinkingLevel===r}>${r}</option>`)}</select></label>
        <label>Verbose <select name="verbose">
          <option value="" ?selected=${!e.verboseLevel}>default</option>
          ${Ti.map(r=>o`<option value=${r} ?selected=${e.verboseLevel===r}>${r}</option>`)}</select></label>
        <div class="row">
          <button type="submit" class="primary save">Save</button>
          <button type="button" class="compact" aria-label="Compact ${e.key}" @click=${()=>this.compact(e.key)}>Compact transcript</button>
          <button type="button" class="ghost" @click=${()=>(this.editing="",this.requestUpdate())}>Close</button>
        </div>
      </form></td></tr>`}render(){let e=(t,s)=>{let r=this.armed===`${t}:${s}`,a=t==="delete"&&s===this.mainKey;return o`<button class="${t==="delete"?"danger":""} ${t}" data-key=${s} aria-label="${r?"Confirm ":""}${t} ${s}"
        ?disabled=${a} title=${a?"The main session cannot be deleted; reset it instead.":""}
        @click=${()=>this.act(t,s)}>${r?`Confirm ${t}`:t==="reset"?"Reset":"Delete"}</button>`};return o`<section id="sessions-card" class="card" aria-labelledby="sessions-title">
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
                <td>${I(t.updatedAt)}</td>
                <td class="actions"><button class="edit" aria-label="Edit ${t.key}" aria-expanded=${String(this.editing===t.key)}
                  @click=${()=>this.toggleEditor(t.key)}>Edit</button>
                  ${e("reset",t.key)} ${e("delete",t.key)}</td>
              </tr>
              ${this.editing===t.key?this.editor(t):d}`)}
          </tbody>
        </table>
      </div>
    </section>`}};customElements.define("cb-sessions",me);function xs(n){if(!n)return"—";if(n.kind==="cron")return`cron ${n.expr}${n.tz?` (${n.tz})`:""}`;if(n.kind==="every"){let i=n.everyMs;return i%36e5===0?`every ${i/36e5}h`:i%6e4===0?`every ${i/6e4}m`:`every ${Math.round(i/1e3)}s`}return n.kind==="at"?`at ${X(n.atMs)}`:JSON.stringify(n)}function Is(n){let i=(n.name||"").trim();if(!i)throw new Error("a name is required");let e;switch(n.scheduleKind){case"every":{let r=Number(n.every);if(!(r>0))throw new Error("the interval must be a positive number of minutes");e={kind:"every",everyMs:Math.round(r*6e4)};break}case"at":{let r=Date.parse(n.at);if(Number.isNaN(r))throw new Error("the time is not a valid date");e={kind:"at",atMs:r};break}default:if(!n.expr?.trim())throw new Error("a cron expression is required");e={kind:"cron",expr:n.expr.trim(),...n.tz?.trim()?{tz:n.tz.trim()}:{}}}let t=(n.text||"").trim();if(!t)throw new Error("the text is required");let s=n.payloadKind==="agentTurn";return{name:i,enabled:!0,schedule:e,sessionTarget:s?"isolated":"main",wakeMode:n.wakeMode==="now"?"now":"next-heartbeat",payload:s?{kind:"agentTurn",message:t}:{kind:"systemEvent",text:t}}}var ge=class extends E{constructor(){super(...arguments);this.jobs=[];this.runsFor="";this.runs=[];this.formError="";this.scheduleKind="every";this.notice="";this.busy=new Set;this.editing="";this.editError="";this.armedRemove=""}connected(){this.active&&this.refresh()}shown(){this.refresh()}onEvent(e){e.event!=="cron"||!this.active||(this.refresh(),this.runsFor&&e.payload?.jobId===this.runsFor&&this.loadRuns(this.runsFor))}async refresh(){let e=await this.call("cron","cron.list",{includeDisabled:!0});e&&(this.jobs=e.jobs??[],this.requestUpdate())}async loadRuns(e){this.runsFor=e;let t=await this.call("cron-runs","cron.runs",{id:e,limit:50});this.runs=t?.entries??[],this.requestUpdate()}async add(e){e.preventDefault();let t=e.target,s=Object.fromEntries(new FormData(t).entries()),r;try{r=Is(s)}catch(l){this.formError=l.message,this.requestUpdate();return}this.formError="",await this.call("cron-add","cron.add",r)&&(t.reset(),this.scheduleKind="every",this.notice=`Added ${r.name}.`,await this.refresh())}async run(e){this.busy.add(e),this.requestUpdate();let t=await this.call("cron","cron.run",{id:e,mode:"force"});this.busy.delete(e),t&&(this.notice=t.ran?"The job ran.":`The job did not run${t.reason?`: ${t.reason}`:""}.`),await this.refresh(),await this.loadRuns(e)}async setEnabled(e,t){this.busy.add(e.id),this.requestUpdate();let s=await this.call("cron","cron.update",{id:e.id,patch:{enabled:t}});this.busy.delete(e.id),s&&(this.notice=`${e.name} ${t?"enabled":"disabled"}.`),await this.refresh()}async saveEdit(e,t){e.preventDefault();let s=Object.fromEntries(new FormData(e.target).entries()),r;try{r=cs(s,t)}catch(l){this.editError=l.message,this.requestUpdate();return}if(this.editError="",!Object.keys(r).length){this.editing="",this.notice="Nothing changed.",this.requestUpdate();return}await this.call("cron-edit","cron.update",{id:t.id,patch:r})&&(this.editing="",this.notice=`Saved ${r.name??t.name}.`),await this.refresh()}editor(e){let t=e.schedule||{},s=e.payload?.kind==="agentTurn"?e.payload.message:e.payload?.text;return o`<tr class="cron-editor" data-editor-for=${e.id}><td colspan="5">
      <form class="form-grid cron-edit" @submit=${r=>this.saveEdit(r,e)}>
        <label>Name <input name="name" class="edit-name" required maxlength="200" .value=${e.name??""}></label>
        ${t.kind==="every"?o`<label>Minutes <input name="every" class="edit-every" type="number" min="0.1" step="any" .value=${String(t.everyMs/6e4)}></label>`:d}
        ${t.kind==="cron"?o`<label>Expression <input name="expr" .value=${t.expr??""}></label><label>Time zone <input name="tz" .value=${t.tz??""}></label>`:d}
        ${s!=null?o`<label>Text <input name="text" class="edit-text" .value=${s}></label>`:d}
        <div class="row"><button type="submit" class="primary save">Save</button>
          <button type="button" class="ghost" @click=${()=>(this.editing="",this.editError="",this.requestUpdate())}>Cancel</button></div>
        ${this.editError?o`<p class="error" role="alert">${this.editError}</p>`:d}
        ${this.errorLine("cron-edit")}
      </form></td></tr>`}async removeJob(e){if(this.armedRemove!==e){this.armedRemove=e,this.requestUpdate();return}this.armedRemove="";let t=await this.call("cron","cron.remove",{id:e});t&&(this.notice=t.removed?"Removed.":"The job was already gone."),this.runsFor===e&&(this.runsFor=""),await this.refresh()}render(){let e=this.jobs.find(t=>t.id===this.runsFor);return o`<section id="cron-card" class="card" aria-labelledby="cron-title">
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
                <td>${xs(t.schedule)}${t.enabled?d:o`<div class="sub">disabled</div>`}</td>
                <td>${X(t.state?.nextRunAtMs)}</td>
                <td>${t.state?.lastStatus??"—"}<div class="sub">${I(t.state?.lastRunAtMs)}</div></td>
                <td class="actions">
                  <button class="run primary" ?disabled=${this.busy.has(t.id)} aria-label="Run ${t.name} now" @click=${()=>this.run(t.id)}>Run now</button>
                  <button class="runs" aria-label="Run history of ${t.name}" @click=${()=>this.loadRuns(t.id)}>Runs</button>
                  <button class="edit" aria-label="Edit ${t.name}" aria-expanded=${String(this.editing===t.id)}
                    @click=${()=>(this.editing=this.editing===t.id?"":t.id,this.editError="",this.requestUpdate())}>Edit</button>
                  <button class="toggle" ?disabled=${this.busy.has(t.id)} aria-label="${t.enabled?"Disable":"Enable"} ${t.name}"
                    @click=${()=>this.setEnabled(t,!t.enabled)}>${t.enabled?"Disable":"Enable"}</button>
                  <button class="remove danger ${this.armedRemove===t.id?"armed":""}" aria-label="${this.armedRemove===t.id?"Confirm remove":"Remove"} ${t.name}"
                    @click=${()=>this.removeJob(t.id)}>${this.armedRemove===t.id?"Confirm remove":"Remove"}</button>
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
              ${this.runs.map(t=>o`<li class="run-entry ${t.status}">${X(t.runAtMs??t.ts)} — <strong>${t.status??t.action}</strong>
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
    </section>`}};customElements.define("cb-cron",ge);var _s=["deny","allowlist","full"],_i=["off","on-miss","always"],Li=/changed since last load|base ?hash/i;function Ls(n){return JSON.parse(JSON.stringify(n))}var fe=class extends E{constructor(){super(...arguments);this.items=[];this.resolved=[];this.busy=new Set;this.onCount=()=>{};this.target="gateway";this.nodes=[];this.snap=null;this.draft=null;this.agent="main";this.dirtyList=!1;this.listConflict=!1;this.listNotice=""}connected(){this.active&&this.loadList()}shown(){this.dirtyList||this.loadList()}async loadList(){if(this.gw.supports("node.list")){let t=await this.gw.request("node.list",{}).catch(()=>null);this.nodes=(t?.nodes??[]).filter(s=>s.connected&&(s.commands??[]).includes("system.execApprovals.get"))}let e=this.target==="gateway"?await this.call("allowlist","exec.approvals.get"):await this.call("allowlist","exec.approvals.node.get",{nodeId:this.target});e&&(this.snap=e,this.draft=Ls(e.file??{version:1}),this.dirtyList=!1,this.listConflict=!1,this.listNotice="",this.errors.delete("allowlist-save")),this.requestUpdate()}agentEntry(e){let t=this.draft;if(!t)return{};if(!t.agents){if(!e)return{};t.agents={}}return!t.agents[this.agent]&&e&&(t.agents[this.agent]={}),t.agents[this.agent]??{}}change(e){e(this.agentEntry(!0)),this.dirtyList=!0,this.listNotice="",this.requestUpdate()}async saveList(){if(!this.snap||!this.draft)return;let e={file:this.draft,baseHash:this.snap.hash};this.target!=="gateway"&&(e.nodeId=this.target);try{let t=await this.gw.request(this.target==="gateway"?"exec.approvals.set":"exec.approvals.node.set",e);this.snap=t,this.draft=Ls(t.file??{version:1}),this.dirtyList=!1,this.listConflict=!1,this.listNotice="Saved.",this.setError("allowlist-save",null)}catch(t){let s=`${t.message} ${JSON.stringify(t.details??"")}`;this.listConflict=Li.test(s),this.setError("allowlist-save",t)}this.requestUpdate()}connectedCallback(){super.connectedCallback(),this.clock=setInterval(()=>this.expire(),1e3)}disconnectedCallback(){super.disconnectedCallback(),clearInterval(this.clock)}expire(){let e=Date.now(),t=this.items.length;this.items=this.items.filter(s=>!s.expiresAtMs||s.expiresAtMs>e),this.items.length!==t&&this.onCount(this.items.length),this.items.length&&this.requestUpdate()}onEvent(e){let t=e.payload;if(e.event==="exec.approval.requested"&&t?.id)this.items.some(s=>s.id===t.id)||(this.items=[...this.items,t]);else if(e.event==="exec.approval.resolved"&&t?.id){let s=this.items.find(r=>r.id===t.id);this.items=this.items.filter(r=>r.id!==t.id),s&&this.remember(s,t.decision,t.resolvedBy)}else return;this.onCount(this.items.length),this.requestUpdate()}remember(e,t,s){this.resolved.some(r=>r.id===e.id)||(this.resolved=[{id:e.id,command:e.request?.command,decision:t,by:s},...this.resolved].slice(0,20))}async resolve(e,t){this.busy.add(e),this.requestUpdate();let s=await this.call("approvals","exec.approval.resolve",{id:e,decision:t});if(this.busy.delete(e),s){let r=this.items.find(a=>a.id===e);this.items=this.items.filter(a=>a.id!==e),r&&this.remember(r,t,"you"),this.onCount(this.items.length)}this.requestUpdate()}render(){let e=Date.now();return o`<section id="approvals-card" class="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">Exec approvals <span id="approvals-count" class="count">${this.items.length}</span></h2>
      ${this.errorLine("approvals")}
      <p class="muted" ?hidden=${this.items.length>0}>No command is waiting for approval. Prompts appear here live.</p>
      <ul id="approvals" class="pending">
        ${this.items.map(t=>{let s=t.request??{},r=this.busy.has(t.id),a=t.expiresAtMs?Math.max(0,Math.round((t.expiresAtMs-e)/1e3)):null;return o`<li class="pending-item approval" data-approval-id=${t.id}>
            <div class="grow">
              <code class="cmd">${s.command}</code>
              <div class="sub">${[s.host&&`on ${s.host}`,s.cwd&&`in ${s.cwd}`,s.agentId&&`agent ${s.agentId}`,s.sessionKey,s.security&&`security ${s.security}`].filter(Boolean).join(" · ")}</div>
              ${a!=null?o`<div class="sub">expires in ${a}s</div>`:d}
            </div>
            <div class="btns" role="group" aria-label="Answer for ${s.command}">
              <button class="primary allow-once" ?disabled=${r} @click=${()=>this.resolve(t.id,"allow-once")}>Allow once</button>
              <button class="allow-always" ?disabled=${r} @click=${()=>this.resolve(t.id,"allow-always")}>Always allow</button>
              <button class="danger deny" ?disabled=${r} @click=${()=>this.resolve(t.id,"deny")}>Deny</button>
            </div>
          </li>`})}
      </ul>
      ${this.resolved.length?o`<h3>Recently answered</h3>
            <ul id="approvals-done" class="plain">
              ${this.resolved.map(t=>o`<li data-approval-id=${t.id}><code>${t.command}</code> — ${t.decision}${t.by?` (by ${t.by})`:""}</li>`)}
            </ul>`:d}
    </section>
    ${this.renderAllowlist()}`}renderAllowlist(){let e=this.draft,t=[...new Set(["main","*",...Object.keys(e?.agents??{})])],s=this.agentEntry(!1),r=s.allowlist??[],a=e?.defaults??{},l=(c,p,v,u)=>o`<label class="inline">${u}
      <select id=${c} data-value=${s[p]??""} @change=${g=>this.change(y=>{let b=g.target.value;b?y[p]=b:delete y[p]})}>
        <option value="" ?selected=${!s[p]}>inherit (${a[p]??"default"})</option>
        ${v.map(g=>o`<option value=${g} ?selected=${s[p]===g}>${g}</option>`)}
      </select></label>`,h=c=>{c.preventDefault();let p=this.querySelector("#allowlist-pattern"),v=p.value.trim();v&&(this.change(u=>u.allowlist=[...u.allowlist??[],{pattern:v}]),p.value="")};return o`<section id="allowlist-card" class="card" aria-labelledby="allowlist-title">
      <h2 id="allowlist-title">Exec allowlists <small class="mono muted">${this.snap?.path??""}</small></h2>
      <div class="row">
        <label class="inline">Host
          <select id="allowlist-target" data-value=${this.target} @change=${c=>(this.target=c.target.value,this.snap=null,this.draft=null,this.loadList())}>
            <option value="gateway" ?selected=${this.target==="gateway"}>gateway</option>
            ${this.nodes.map(c=>o`<option value=${c.nodeId} ?selected=${this.target===c.nodeId}>node ${c.displayName??c.nodeId}</option>`)}
          </select></label>
        <label class="inline">Agent
          <select id="allowlist-agent" data-value=${this.agent} @change=${c=>(this.agent=c.target.value,this.requestUpdate())}>
            ${t.map(c=>o`<option value=${c} ?selected=${this.agent===c}>${c==="*"?"* (every agent)":c}</option>`)}
          </select></label>
      </div>
      ${this.errorLine("allowlist")}
      ${e?o`<div class="row">
              ${l("allowlist-security","security",_s,"Security")} ${l("allowlist-ask","ask",_i,"Ask")}
              ${l("allowlist-fallback","askFallback",_s,"If unanswered")}
            </div>
            <table id="allowlist" class="table">
              <caption class="sr-only">Allowed executables of agent ${this.agent}</caption>
              <thead><tr><th scope="col">Pattern</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                ${r.length?r.map((c,p)=>o`<tr data-pattern=${c.pattern}>
                        <td><code>${c.pattern}</code></td>
                        <td class="sub">${c.lastUsedAt?o`${new Date(c.lastUsedAt).toLocaleString()}${c.lastUsedCommand?o` · <code>${c.lastUsedCommand}</code>`:d}`:"never"}</td>
                        <td><button class="danger remove" aria-label="Remove ${c.pattern}" @click=${()=>this.change(v=>v.allowlist=r.filter((u,g)=>g!==p))}>Remove</button></td>
                      </tr>`):o`<tr><td colspan="3" class="muted">No executable is allowlisted for this agent.</td></tr>`}
              </tbody>
            </table>
            <form id="allowlist-add" class="row" @submit=${h}>
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
    </section>`}};customElements.define("cb-approvals",fe);var ve="__CLAWDBOT_REDACTED__";function K(n){if(!n||typeof n!="object")return"raw";if(Array.isArray(n.enum)&&n.enum.length&&n.enum.every(e=>typeof e=="string"))return"enum";let i=Array.isArray(n.type)?n.type.filter(e=>e!=="null"):[n.type];if(i.length!==1)return"raw";switch(i[0]){case"object":return n.properties&&Object.keys(n.properties).length?"object":n.additionalProperties&&typeof n.additionalProperties=="object"&&K(n.additionalProperties)!=="raw"?"map":"raw";case"string":case"number":case"integer":case"boolean":return i[0];case"array":{let e=K(n.items);return e==="string"||e==="number"||e==="integer"||e==="enum"?"list":e==="object"?"objlist":"raw"}}return"raw"}function L(n,i){let e=n[i.join(".")];if(e)return e;for(let[t,s]of Mi(n))if(t.length===i.length&&t.every((r,a)=>r==="*"||r===i[a]))return s;return{}}var Ms=new WeakMap;function Mi(n){let i=Ms.get(n);return i||(i=Object.entries(n).filter(([e])=>e.split(".").includes("*")).map(([e,t])=>[e.split("."),t]),Ms.set(n,i)),i}function ie(n,i){if(n.label)return n.label;let e=i.replace(/([a-z0-9])([A-Z])/g,"$1 $2").replace(/[_-]+/g," ").toLowerCase();return e.charAt(0).toUpperCase()+e.slice(1)}function ye(n,i,e){let t=s=>L(i,[...e,s]).order??Number.MAX_SAFE_INTEGER;return Object.keys(n).sort((s,r)=>t(s)-t(r)||s.localeCompare(r))}function F(n,i){let e=n;for(let t of i){if(e==null||typeof e!="object")return;e=e[t]}return e}function Rs(n){let i={};for(let[e,t]of n){let s=e.split("."),r=i;for(let a of s.slice(0,-1))(r[a]==null||typeof r[a]!="object"||Array.isArray(r[a]))&&(r[a]={}),r=r[a];r[s[s.length-1]]=t&&typeof t=="object"?JSON.parse(JSON.stringify(t)):t}return i}function Cs(n,i,e){let t=i.trim();switch(n){case"number":case"integer":{if(t==="")return{value:null};let s=Number(t);return Number.isFinite(s)?n==="integer"&&!Number.isInteger(s)?{error:`not a whole number: ${t}`}:{value:s}:{error:`not a number: ${t}`}}case"list":{let s=i.split(`
`).map(r=>r.trim()).filter(Boolean);if(!s.length)return{value:null};if(e==="number"||e==="integer"){let r=s.map(Number),a=s.find((l,h)=>!Number.isFinite(r[h]));return a!==void 0?{error:`not a number: ${a}`}:{value:r}}return{value:s}}case"string":case"enum":return{value:t===""?null:i};default:return{value:i}}}var Us=new Set(["string","number","integer","boolean","enum","list"]);function We(n,i){for(let e=i.length-1;e>=1;e--){let t=i.slice(0,e).join(".");if(n.has(t)){let s=n.get(t);return s&&typeof s=="object"?{found:!0,value:F(s,i.slice(e))}:{found:!0,value:void 0}}}return{found:!1}}function qs(n,i,e){let t=e.join(".")+".",r=(n&&typeof n=="object"&&!Array.isArray(n)?Object.keys(n):[]).filter(a=>i.get(t+a)!==null);for(let[a,l]of i){if(!a.startsWith(t))continue;let h=a.slice(t.length);!h.includes(".")&&l!==null&&!r.includes(h)&&r.push(h)}return r}function Ns(n,i){return n.trim()?n!==n.trim()?"no spaces around the name":n.includes(".")?"a name cannot contain “.”":i.includes(n)?`“${n}” already exists`:"":"enter a name"}function ht(n,i){let e=n.itemTemplate;return e&&typeof e=="object"&&!Array.isArray(e)?JSON.parse(JSON.stringify(e)):i==="object"?{}:i==="boolean"?!1:i==="number"||i==="integer"?0:i==="list"?[]:""}function Os(n,i,e,t){let s=n.map(a=>a&&typeof a=="object"?{...a}:a),r=s[i]&&typeof s[i]=="object"?s[i]:{};return t==null?delete r[e]:r[e]=t,s[i]=r,s}var ut=class{constructor(){this.edits=new Map;this.texts=new Map;this.invalid=new Map;this.open=new Set;this.newKeys=new Map;this.keyErrors=new Map;this.advanced=!1;this.filter="";this.busy=!1}},m=new ut;function Ps(){m.edits.clear(),m.texts.clear(),m.invalid.clear(),m.keyErrors.clear()}function Ds(n){for(let i of[m.texts,m.invalid])for(let e of[...i.keys()])(e===n||e.startsWith(n+"."))&&i.delete(e)}function Z(n){return"cfg-"+n.join("-").replace(/[^A-Za-z0-9_-]/g,"_")}function Ri(n,i){return JSON.stringify(n??null)===JSON.stringify(i??null)}function pt(n,i,e,t){let s=L(e,n);return`${n.join(".")} ${ie(s,n[n.length-1])} ${s.help??""}`.toLowerCase().includes(t)?!0:K(i)==="object"?Object.entries(i.properties).some(([a,l])=>pt([...n,a],l,e,t)):!1}function Hs(n){if(!n.schemaAvailable)return o`<p class="muted">This gateway has no config.schema; edit the raw file below.</p>`;if(!n.schema)return o`<p class="muted" id="config-form-loading">Loading the config schema…</p>`;let i=n.uiHints??{},e=n.schema.properties??{},t=m.filter.trim().toLowerCase(),s=(u,g)=>{let y=u.join("."),b=F(n.config,u);b===ve&&g===null||Ri(g,b)||g===null&&b===void 0?(m.edits.delete(y),m.texts.delete(y)):m.edits.set(y,g)},r=(u,g,y,b,f=w=>s(u,w))=>{let w=u.join("."),A=g==="boolean"?{value:y===""?null:y==="true"}:Cs(g,y,b);m.texts.set(w,y),"error"in A?m.invalid.set(w,A.error):(m.invalid.delete(w),f(A.value),g==="boolean"&&m.texts.delete(w)),n.update()},a=(u,g,y,b,f,w,A,C)=>{let x=u.join("."),S=Z(u),M=L(i,u),P=ie(M,u[u.length-1]),q=m.texts.get(x),$=m.invalid.get(x),T=g.default!==void 0?`default: ${JSON.stringify(g.default)}`:"";switch(y){case"boolean":return o`<select id=${S} data-path=${x} data-value=${f==null?"":String(f)} aria-describedby=${A}
          @change=${k=>r(u,y,k.target.value,void 0,C)}>
          <option value="" ?selected=${f==null}>default${g.default!==void 0?` (${g.default?"on":"off"})`:""}</option>
          <option value="true" ?selected=${f===!0}>on</option>
          <option value="false" ?selected=${f===!1}>off</option>
        </select>`;case"enum":return o`<select id=${S} data-path=${x} data-value=${f==null?"":String(f)} aria-describedby=${A} @change=${k=>r(u,y,k.target.value,void 0,C)}>
          <option value="" ?selected=${f==null}>default${g.default!==void 0?` (${g.default})`:""}</option>
          ${g.enum.map(k=>o`<option value=${k} ?selected=${f===k}>${k}</option>`)}
        </select>`;case"list":{let k=K(g.items),D=q??(Array.isArray(f)?f.join(`
`):"");return o`<textarea id=${S} data-path=${x} class="mono" rows="3" spellcheck="false" aria-describedby=${A} placeholder="one per line"
          .value=${D} @input=${_=>r(u,y,_.target.value,k,C)}></textarea>`}case"string":case"number":case"integer":{let k=!!M.sensitive,D=k&&b===ve&&(!w||f===ve),_=q??(D||f==null?"":String(f)),N=D?"stored (hidden): type to replace":M.placeholder||T;return o`<input id=${S} data-path=${x} type=${k?"password":y==="string"?"text":"number"}
          step=${y==="number"?"any":d} autocomplete=${k?"new-password":"off"} spellcheck="false"
          aria-describedby=${A} placeholder=${N||d} aria-invalid=${$?"true":"false"}
          .value=${_} @input=${B=>r(u,y,B.target.value,void 0,C)}>`}default:return o`<pre id=${S} data-path=${x} class="mono cfg-raw" tabindex="0" aria-label="${P} (edit in the raw file)">${b===void 0?"(not set)":JSON.stringify(b,null,2)}</pre>`}},l=(u,g,y,b)=>{let f=u.join("."),w=Z(u),A=F(n.config,u),C=We(m.edits,u),x=qs(A!==void 0?A:C.value,m.edits,u),S=g.additionalProperties,M=()=>{let $=m.newKeys.get(f)??"",T=Ns($,x);if(T)m.keyErrors.set(f,T);else{m.keyErrors.delete(f),m.newKeys.delete(f);let k=`${f}.${$}`;m.edits.get(k)===null?m.edits.delete(k):m.edits.set(k,ht(L(i,u).itemTemplate!==void 0?L(i,u):L(i,[...u,"*"]),K(S)))}n.update()},P=$=>{let T=`${f}.${$}`;for(let k of[...m.edits.keys()])k.startsWith(T+".")&&m.edits.delete(k);Ds(T),F(n.config,[...u,$])!==void 0?m.edits.set(T,null):m.edits.delete(T),n.update()},q=m.keyErrors.get(f);return o`<fieldset class="cfg-group cfg-map" data-path=${f}>
      <legend>${y} <span class="count">${x.length}</span></legend>
      ${b.help?o`<p class="help">${b.help}</p>`:d}
      ${x.map($=>o`<div class="cfg-entry" data-entry=${$}>
        <div class="row"><strong class="mono">${$}</strong>${m.edits.has(`${f}.${$}`)&&F(A,[$])===void 0?o`<span class="tag">new</span>`:d}
          <span class="spacer"></span>
          <button type="button" id="${Z([...u,$])}-remove" class="danger ghost cfg-remove" aria-label="Remove ${$}" @click=${()=>P($)}>Remove</button></div>
        ${c([...u,$],S,!0)}
      </div>`)}
      <div class="row cfg-add">
        <input id="${w}-new" type="text" spellcheck="false" autocomplete="off" aria-label="New ${y.toLowerCase()} entry name" placeholder="new entry name"
          .value=${m.newKeys.get(f)??""} @input=${$=>m.newKeys.set(f,$.target.value)}
          @keydown=${$=>{$.key==="Enter"&&($.preventDefault(),M())}}>
        <button type="button" id="${w}-add" @click=${M}>Add</button>
        ${q?o`<small class="error" role="alert">${q}</small>`:d}
      </div>
    </fieldset>`},h=(u,g,y,b)=>{let f=u.join("."),w=Z(u),A=F(n.config,u),C=We(m.edits,u),x=m.edits.has(f)?m.edits.get(f):A!==void 0?A:C.value,S=Array.isArray(x)?x:[],M=$=>s(u,$),P=g.items.properties??{},q=L(i,u).itemTemplate!==void 0?L(i,u):L(i,[...u,"*"]);return o`<fieldset class="cfg-group cfg-list" data-path=${f}>
      <legend>${y} <span class="count">${S.length}</span>${m.edits.has(f)?o` <span class="tag">changed</span>`:d}</legend>
      ${b.help?o`<p class="help">${b.help}</p>`:d}
      ${S.map(($,T)=>{let k=[...u,String(T)],D=$&&typeof $=="object"&&($.name||$.id)||"";return o`<div class="cfg-entry" data-index=${T}>
          <div class="row"><strong>${y} ${T+1}</strong>${D?o`<span class="muted mono">${D}</span>`:d}<span class="spacer"></span>
            <button type="button" id="${Z(k)}-remove" class="danger ghost cfg-remove" aria-label="Remove ${y} ${T+1}"
              @click=${()=>{Ds(f),M(S.filter((_,N)=>N!==T)),n.update()}}>Remove</button></div>
          ${ye(P,i,k).map(_=>{let N=[...k,_],B=L(i,N);if(B.advanced&&!m.advanced)return d;let vt=K(P[_]),Ge=Z(N),yt=F(A,[String(T),_]),Te=$&&typeof $=="object"?$[_]:void 0,Gs=B.help?`${Ge}-help`:d,Ys=$t=>{B.sensitive&&$t===null&&Te===ve||M(Os(S,T,_,$t))};return o`<div class="cfg-field${m.invalid.has(N.join("."))?" invalid":""}">
              <label for=${Ge}>${ie(B,_)}</label>
              ${a(N,P[_],Us.has(vt)?vt:"raw",yt??Te,Te,Te!==yt,Gs,Ys)}
              ${B.help?o`<small class="help" id="${Ge}-help">${B.help}</small>`:d}
              ${m.invalid.has(N.join("."))?o`<small class="error" role="alert">${m.invalid.get(N.join("."))}</small>`:d}
            </div>`})}
        </div>`})}
      <div class="row cfg-add"><button type="button" id="${w}-add" @click=${()=>{M([...S,ht(q,"object")]),n.update()}}>Add ${y.toLowerCase()} item</button></div>
    </fieldset>`},c=(u,g,y=!1)=>{let b=u.join("."),f=L(i,u);if(f.advanced&&!m.advanced&&!m.edits.has(b))return d;if(t&&!y&&!pt(u,g,i,t))return d;let w=K(g),A=ie(f,u[u.length-1]);if(w==="object")return o`<fieldset class="cfg-group" data-path=${b}>
        <legend>${A}</legend>
        ${f.help?o`<p class="help">${f.help}</p>`:d}
        ${ye(g.properties,i,u).map(_=>c([...u,_],g.properties[_],y))}
      </fieldset>`;if(w==="map")return l(u,g,A,f);if(w==="objlist")return h(u,g,A,f);let C=Z(u),x=F(n.config,u),S=m.edits.has(b),M=x===void 0&&!S?We(m.edits,u):{found:!1},P=S?m.edits.get(b):M.found?M.value:x,q=m.invalid.get(b),$=f.help?o`<small class="help" id="${C}-help">${f.help}</small>`:d,T=f.help?`${C}-help`:d,k=`cfg-field${S?" edited":""}${q?" invalid":""}`,D=q?o`<small class="error" role="alert">${q}</small>`:d;return o`<div class=${k}>
      <label for=${C}>${A}${S?o` <span class="tag">changed</span>`:d}</label>
      ${a(u,g,w,x,P,S,T)} ${$} ${D}
    </div>`},p=ye(e,i,[]).filter(u=>(!L(i,[u]).advanced||m.advanced)&&(!t||pt([u],e[u],i,t)));return o`<form id="config-form" class="cfg-form" @submit=${async u=>{if(u.preventDefault(),m.invalid.size||!m.edits.size||m.busy)return;m.busy=!0,n.update();let g=await n.patch(Rs(m.edits));m.busy=!1,g&&Ps(),n.update()}} aria-label="Config form">
    <div class="row">
      <input id="config-form-filter" type="search" placeholder="Find a setting" aria-label="Find a setting" .value=${m.filter}
        @input=${u=>(m.filter=u.target.value,n.update())}>
      <label class="inline"><input id="config-form-advanced" type="checkbox" .checked=${m.advanced}
        @change=${u=>(m.advanced=u.target.checked,n.update())}> show advanced</label>
    </div>
    ${p.map(u=>{let g=L(i,[u]),y=e[u],b=m.open.has(u)||!!t,f=[...m.edits.keys()].filter(w=>w===u||w.startsWith(u+".")).length;return o`<details class="cfg-section" data-section=${u} ?open=${b}
        @toggle=${w=>{let A=w.target.open;t||A===m.open.has(u)||(A?m.open.add(u):m.open.delete(u),n.update())}}>
        <summary id="cfg-section-${u}">${ie(g,u)}${f?o` <span class="tag">${f} changed</span>`:d}
          ${g.help?o`<small class="muted"> — ${g.help}</small>`:d}</summary>
        ${b?K(y)==="object"?ye(y.properties,i,[u]).map(w=>c([u,w],y.properties[w])):c([u],y):d}
      </details>`})}
    <div class="row cfg-actions">
      <button id="config-form-apply" type="submit" class="primary" ?disabled=${!m.edits.size||m.invalid.size>0||m.busy}>
        ${m.edits.size?`Apply ${m.edits.size} change${m.edits.size>1?"s":""}`:"Apply"}</button>
      <button id="config-form-discard" type="button" ?disabled=${!m.edits.size&&!m.invalid.size} @click=${()=>(Ps(),n.update())}>Discard changes</button>
      ${m.invalid.size?o`<span class="error">Fix the marked fields first.</span>`:d}
    </div>
  </form>`}var mt=Hs;function Ci(n){mt=n}var Ui=/changed since last load|base hash/i,$e=class extends E{constructor(){super(...arguments);this.snap=null;this.raw="";this.dirty=!1;this.notice="";this.issues=[];this.schema=null;this.conflict=!1}connected(){this.active&&!this.dirty&&this.load()}shown(){this.dirty||this.load()}async load(){if(!this.schema&&this.gw.supports("config.schema")){let t=await this.call("config-schema","config.schema");t&&(this.schema={schema:t.schema,uiHints:t.uiHints??{}})}let e=await this.call("config","config.get");e&&(this.snap=e,this.raw=e.raw??"",this.dirty=!1,this.conflict=!1,this.issues=e.issues??[],this.errors.delete("config-save"),this.requestUpdate())}async write(e,t,s){this.snap?.hash&&(t.baseHash=this.snap.hash);try{return await this.gw.request(e,t),this.setError("config-save",null),this.notice=s,this.issues=[],this.conflict=!1,await this.load(),!0}catch(r){let a=r.details;return this.issues=Array.isArray(a?.issues)?a.issues:[],this.conflict=Ui.test(r.message),this.notice="",this.setError("config-save",r),!1}}save(e=this.raw){return this.write("config.set",{raw:e},"Saved; the gateway reloads the config.")}patch(e){return this.write("config.patch",{raw:JSON.stringify(e)},"Applied; the gateway reloads the config.")}render(){let e=this.snap,t={config:e?.config,schemaAvailable:this.gw.supports("config.schema"),schema:this.schema?.schema,uiHints:this.schema?.uiHints,apply:s=>this.save(s),patch:s=>this.patch(s),update:()=>this.requestUpdate()};return o`<section id="config-card" class="card" aria-labelledby="config-title">
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
      <div id="config-form-slot">${mt&&e?mt(t):d}</div>
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
    </section>`}};customElements.define("cb-config",$e);var qi=200,be=class extends E{constructor(){super(...arguments);this.result="";this.resultOk=!0;this.events=[];this.filter="";this.showTicks=!1;this.took=""}onEvent(e){e.event==="tick"&&!this.showTicks||(this.events=[{at:Date.now(),ev:e},...this.events].slice(0,qi),this.active&&this.requestUpdate())}shown(){this.requestUpdate()}async invoke(e){e.preventDefault();let t=this.querySelector("#debug-method").value.trim(),s=this.querySelector("#debug-params").value.trim(),r={};try{s&&(r=JSON.parse(s))}catch(l){this.resultOk=!1,this.result=`params are not JSON: ${l.message}`,this.requestUpdate();return}let a=performance.now();try{let l=await this.gw.request(t,r);this.resultOk=!0,this.result=JSON.stringify(l,null,2),this.took=`${t}: ok in ${Math.round(performance.now()-a)} ms`}catch(l){let h=l;this.resultOk=!1,this.result=JSON.stringify({code:h.code,message:h.message,details:h.details},null,2),this.took=`${t}: failed in ${Math.round(performance.now()-a)} ms`}this.requestUpdate()}render(){let e=this.gw?.hello?.features?.methods??[],t=this.events.filter(s=>!this.filter||s.ev.event.includes(this.filter));return o`<section id="debug-call-card" class="card" aria-labelledby="debug-title">
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
      </section>`}};customElements.define("cb-debug",be);var Ni=15e3,js=3e4,Oi=1500,we=class extends E{constructor(){super(...arguments);this.st=null;this.probing=!1;this.qr="";this.loginMsg="";this.loginBusy=!1;this.linked=!1;this.loginGen=0;this.armedLogout=!1;this.lastRefresh=0;this.refreshTimer=null}connected(){this.active&&this.refresh(!1)}shown(){this.refresh(!1)}disconnected(){this.loginGen++,this.loginBusy=!1,this.requestUpdate()}onEvent(e){if(e.event!=="health"||!this.active)return;let t=this.lastRefresh+Oi-Date.now();t<=0?this.refresh(!1):this.refreshTimer||(this.refreshTimer=setTimeout(()=>(this.refreshTimer=null,void this.refresh(!1)),t))}async refresh(e){this.lastRefresh=Date.now(),e&&(this.probing=!0,this.requestUpdate());let t=await this.call("channels","channels.status",e?{probe:!0,timeoutMs:8e3}:{});this.probing=!1,t&&(this.st=t,this.linked=!!t.whatsapp?.linked),this.requestUpdate()}async startLogin(e){let t=++this.loginGen;this.loginBusy=!0,this.armedLogout=!1,this.qr="",this.loginMsg="Asking the gateway for a QR code…",this.requestUpdate();let s=await this.call("wa-login","web.login.start",{force:e,timeoutMs:js});if(t===this.loginGen){if(!s){this.loginBusy=!1,this.loginMsg="",this.requestUpdate();return}if(this.loginMsg=s.message||"",this.qr=s.qrDataUrl||"",this.requestUpdate(),!this.qr){this.loginBusy=!1,this.refresh(!1);return}await this.waitLoop(t)}}async waitLoop(e){for(;e===this.loginGen&&this.gw.state==="connected";){let t=await this.call("wa-login","web.login.wait",{timeoutMs:Ni});if(e!==this.loginGen)return;if(!t)break;if(this.loginMsg=t.message||"",t.connected){this.qr="",this.linked=!0,this.loginMsg=t.message&&t.message!=="linked"?t.message:"Linked. WhatsApp is connecting.";break}if(!/waiting/i.test(t.message||"")){this.qr="";break}let s=await this.call("wa-login","web.login.start",{force:!1,timeoutMs:js});if(e!==this.loginGen)return;s?.qrDataUrl&&(this.qr=s.qrDataUrl),this.requestUpdate()}e===this.loginGen&&(this.loginBusy=!1),this.requestUpdate(),this.refresh(!1)}cancelLogin(){this.loginGen++,this.loginBusy=!1,this.qr="",this.loginMsg="Stopped waiting (the code stays valid on the gateway until it expires).",this.requestUpdate()}async logout(){if(!this.armedLogout){this.armedLogout=!0,this.requestUpdate();return}this.armedLogout=!1,this.loginGen++,this.qr="";let e=!!this.gw.hello?.features?.methods?.includes("channels.logout"),t=await this.call("wa-login",e?"channels.logout":"web.logout",e?{channel:"whatsapp"}:{});t&&(this.loginMsg=t.cleared?"Unlinked: the credentials were removed.":"Nothing to unlink."),this.linked=!1,await this.refresh(!1)}accountsTable(e){return o`<div class="scroll"><table id="tg-accounts" class="table">
      <thead><tr><th>Account</th><th>State</th><th>Mode</th><th>Activity</th><th>Last error</th></tr></thead>
      <tbody>
        ${e.map(t=>o`<tr class="account" data-account-id=${t.accountId}>
            <td><strong>${t.name||t.accountId}</strong>${t.isDefault?o` <span class="tag">default</span>`:d}
              <div class="sub mono">${t.name?t.accountId:""}${t.bot?(t.name?" · ":"")+"@"+t.bot:""}</div></td>
            <td><span class="badge account-state" data-ok=${String(Fe(t))}>${Ke(t)}</span></td>
            <td>${t.mode||"—"}</td>
            <td class="sub">${t.lastInboundAt?`in ${I(t.lastInboundAt)}`:""}${t.lastOutboundAt?` · out ${I(t.lastOutboundAt)}`:""}</td>
            <td class=${t.lastError?"bad":"muted"}>${t.lastError||"—"}</td>
          </tr>`)}
      </tbody>
    </table></div>`}render(){let e=this.st?.whatsapp??this.st?.channels?.whatsapp,t=this.st?.telegram??this.st?.channels?.telegram,s=(l,h,c="")=>o`<dt>${l}</dt><dd class=${c}>${h??"—"}</dd>`,r=t?.probe,a=dt(this.st,"telegram")&&je(this.st,"telegram").length>1;return o`<div class="grid">
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
              ${e.authAgeMs!=null?s("Linked for",de(e.authAgeMs)):d}
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
        ${a?this.accountsTable(je(this.st,"telegram")):d}
        ${t&&!a?o`<dl id="tg-status" class="kv">
              ${s("Configured",t.configured?"yes":"no")}
              ${s("Running",t.running?"yes":"no",t.running?"good":"muted")}
              ${t.mode?s("Mode",t.mode):d}
              ${t.botUsername?s("Bot","@"+t.botUsername):d}
              ${t.lastError?s("Last error",t.lastError,"bad"):d}
            </dl>`:d}
        ${r?o`<h3>Probe</h3><dl id="tg-probe" class="kv">
              ${s("Result",r.ok?"ok":r.error||"failed",r.ok?"good":"bad")}
              ${r.elapsedMs!=null?s("Took",`${r.elapsedMs} ms`):d}
              ${r.bot?.username?s("Bot","@"+r.bot.username):d}
            </dl>`:d}
        <p class="sub">Checked ${I(this.st?.ts)}. Bot accounts are configured under <code>channels.telegram</code>.</p>
      </section>
    </div>`}};customElements.define("cb-channels",we);var ke=class extends E{constructor(){super(...arguments);this.rows=[];this.version=0;this.filter=""}connected(){this.version=0,this.refresh()}onEvent(e){e.event==="presence"&&this.apply(e.payload?.presence,e.stateVersion?.presence)}apply(e,t){if(Array.isArray(e)){if(t!=null){if(t<this.version)return;this.version=t}this.rows=e,this.setError("instances",null)}}async refresh(){let e=await this.call("instances","system-presence");e&&this.apply(e,null)}render(){let e=this.filter.toLowerCase(),t=e?this.rows.filter(s=>JSON.stringify(s).toLowerCase().includes(e)):this.rows;return o`<section id="instances-card" class="card" aria-labelledby="instances-title">
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
                <td title=${s.ts?new Date(s.ts).toISOString():""}>${I(s.ts)}${s.lastInputSeconds!=null?o`<div class="sub">idle ${s.lastInputSeconds}s</div>`:d}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
    </section>`}};customElements.define("cb-instances",ke);var Ks=3e5,Ee=class extends E{constructor(){super(...arguments);this.st=null;this.filter="";this.busy=new Set;this.notes=new Map;this.installs=new Map}connected(){this.active&&this.refresh()}shown(){this.refresh()}async refresh(){let e=await this.call("skills","skills.status",{});e&&(this.st=e),this.requestUpdate()}note(e,t,s=!1){this.notes.set(e,{text:t,error:s}),this.requestUpdate()}async patch(e,t,s){let r=e.skillKey;this.busy.add(r),this.requestUpdate();try{await this.gw.request("skills.update",{skillKey:r,...t}),this.note(r,s)}catch(a){this.note(r,a.message,!0)}this.busy.delete(r),await this.refresh()}saveKey(e,t){t.preventDefault();let s=t.target.querySelector("input"),r=s.value;this.patch(e,{apiKey:r},r.trim()?`API key saved for ${e.primaryEnv}.`:"API key removed.").then(()=>s.value="")}async install(e,t){let s=`${e.name}:${t.id}`;this.busy.add(e.skillKey),this.installs.set(s,{ok:!0,message:`Running ${t.label}…`,output:""}),this.requestUpdate();try{let r=await this.gw.request("skills.install",{name:e.name,installId:t.id,timeoutMs:Ks},Ks+1e4);this.installs.set(s,{ok:!!r?.ok,message:r?.message||"Installed",output:[r?.stdout,r?.stderr].filter(Boolean).join(`
`)})}catch(r){let a=r.details,l=a&&typeof a=="object"?[a.stdout,a.stderr].filter(Boolean).join(`
`):"";this.installs.set(s,{ok:!1,message:r.message,output:l})}this.busy.delete(e.skillKey),await this.refresh()}render(){let e=this.st?.skills??[],t=this.filter.toLowerCase(),s=t?e.filter(a=>`${a.name} ${a.description} ${a.source}`.toLowerCase().includes(t)):e,r=e.filter(a=>a.eligible).length;return o`<section id="skills-card" class="card" aria-labelledby="skills-title">
      <h2 id="skills-title">Skills <span class="count" aria-label="${r} of ${e.length} eligible">${r}/${e.length}</span>
        <span class="spacer"></span><button id="skills-refresh" class="ghost" @click=${()=>this.refresh()}>Refresh</button></h2>
      ${this.errorLine("skills")}
      ${this.st?o`<p class="sub mono">workspace ${this.st.workspaceDir} · managed ${this.st.managedSkillsDir}</p>`:d}
      <label>Filter <input id="skills-filter" type="search" .value=${this.filter} @input=${a=>(this.filter=a.target.value,this.requestUpdate())}></label>
      <p class="muted" ?hidden=${e.length>0}>No skills found. Put a folder with a SKILL.md into the workspace's <code>skills/</code> or the managed skills folder.</p>
      <ul id="skills" class="plain skills">
        ${s.map(a=>{let l=rs(a),h=this.busy.has(a.skillKey),c=this.notes.get(a.skillKey);return o`<li class="skill ${a.eligible?"eligible":"ineligible"}" data-skill=${a.name} data-skill-key=${a.skillKey}>
            <div class="skill-head">
              <strong>${a.emoji?a.emoji+" ":""}${a.name}</strong>
              <span class="badge" data-ok=${String(!!a.eligible)}>${a.eligible?"eligible":a.disabled?"disabled":"not eligible"}</span>
              <span class="tag">${String(a.source||"").replace(/^clawdbot-/,"")}</span>
              ${a.always?o`<span class="tag">always</span>`:d}
              <span class="spacer"></span>
              <button class="toggle ${a.disabled?"primary":""}" ?disabled=${h} aria-label="${a.disabled?"Enable":"Disable"} ${a.name}"
                @click=${()=>this.patch(a,{enabled:!!a.disabled},a.disabled?"Enabled.":"Disabled.")}>${a.disabled?"Enable":"Disable"}</button>
            </div>
            ${a.description?o`<div class="sub">${a.description}</div>`:d}
            ${l.length?o`<ul class="reasons">${l.map(p=>o`<li class="reason">${p}</li>`)}</ul>`:d}
            ${a.primaryEnv?o`<form class="row api-key" @submit=${p=>this.saveKey(a,p)}>
                  <label class="grow">API key (${a.primaryEnv}) <input type="password" autocomplete="off" placeholder="empty removes the key"></label>
                  <button type="submit" ?disabled=${h}>Save key</button></form>`:d}
            ${(a.install??[]).length?o`<div class="row installs">${a.install.map(p=>o`<button class="install" ?disabled=${h} data-install-id=${p.id} aria-label="${p.label} for ${a.name}" @click=${()=>this.install(a,p)}>${p.label}</button>`)}</div>`:d}
            ${(a.install??[]).map(p=>{let v=this.installs.get(`${a.name}:${p.id}`);return v?o`<div class="install-result" role="status"><span class=${v.ok?"good":"error"}>${v.message}</span>${v.output?o`<pre class="out">${v.output}</pre>`:d}</div>`:d})}
            ${c?o`<p class="note ${c.error?"error":"muted"}" role=${c.error?"alert":"status"}>${c.text}</p>`:d}
            <div class="sub mono">${a.filePath}</div>
          </li>`})}
      </ul>
    </section>`}};customElements.define("cb-skills",Ee);var Fs=3e4,Bs=1500,Ae=class extends E{constructor(){super(...arguments);this.nodes=[];this.nodePending=[];this.devPending=[];this.devices=[];this.selected="";this.desc=null;this.renaming=!1;this.invokeResult="";this.invokeError="";this.invoking=!1;this.busy=new Set;this.rowErrors=new Map;this.newToken=null;this.armed="";this.notice="";this.devNotice="";this.lastRefresh=0;this.timer=null}connected(){this.active&&this.refresh()}shown(){this.refresh()}onEvent(e){let t=e.payload;switch(e.event){case"device.pair.requested":t?.requestId&&!this.devPending.some(s=>s.requestId===t.requestId)&&(this.devPending=[t,...this.devPending]),this.requestUpdate();break;case"device.pair.resolved":this.devPending=this.devPending.filter(s=>s.requestId!==t?.requestId),this.active&&this.refreshDevices(),this.requestUpdate();break;case"node.pair.requested":t?.requestId&&!this.nodePending.some(s=>s.requestId===t.requestId)&&(this.nodePending=[t,...this.nodePending]),this.requestUpdate();break;case"node.pair.resolved":this.nodePending=this.nodePending.filter(s=>s.requestId!==t?.requestId),this.active&&this.refreshNodes(),this.requestUpdate();break;case"presence":if(!this.active)break;Date.now()-this.lastRefresh>=Bs?this.refreshNodes():this.timer||(this.timer=setTimeout(()=>(this.timer=null,void this.refreshNodes()),Bs));break}}async refresh(){await Promise.all([this.refreshNodes(),this.refreshDevices()])}async refreshNodes(){this.lastRefresh=Date.now();try{let[e,t]=await Promise.all([this.gw.request("node.list"),this.gw.request("node.pair.list")]);({nodes:this.nodes,pending:this.nodePending}=Ve(e,t)),this.setError("nodes",null)}catch(e){this.setError("nodes",e)}}async refreshDevices(){let e=await this.call("devices","device.pair.list",{});e&&(this.devPending=e.pending??[],this.devices=e.paired??[],this.requestUpdate())}async decide(e,t,s){this.busy.add(s),this.rowErrors.delete(s),this.requestUpdate();try{await this.gw.request(`${e}.pair.${t?"approve":"reject"}`,{requestId:s}),e==="node"?this.nodePending=this.nodePending.filter(a=>a.requestId!==s):this.devPending=this.devPending.filter(a=>a.requestId!==s);let r=`${e==="node"?"Node":"Device"} request ${t?"approved":"rejected"}.`;e==="node"?this.notice=r:this.devNotice=r,await(e==="node"?this.refreshNodes():this.refreshDevices())}catch(r){this.rowErrors.set(s,r.message)}this.busy.delete(s),this.requestUpdate()}async select(e){this.selected=e,this.desc=null,this.invokeResult="",this.invokeError="",this.renaming=!1,this.requestUpdate();let t=await this.call("describe","node.describe",{nodeId:e});this.selected===e&&(this.desc=t??null),this.requestUpdate()}async rename(e){e.preventDefault();let s=e.target.querySelector("#node-name").value.trim();if(!s)return;let r=await this.call("describe","node.rename",{nodeId:this.selected,displayName:s});r&&(this.renaming=!1,this.notice=`Renamed to ${r.displayName}.`,await Promise.all([this.refreshNodes(),this.select(this.selected)]))}async invoke(e){e.preventDefault();let t=e.target,s=t.querySelector("#invoke-command").value.trim(),r=t.querySelector("#invoke-params").value;this.invokeResult="",this.invokeError="";let a;try{if(!s)throw new Error("a command is required");a=as(r)}catch(l){this.invokeError=l.message,this.requestUpdate();return}this.invoking=!0,this.requestUpdate();try{let l=await this.gw.request("node.invoke",{nodeId:this.selected,command:s,...a===void 0?{}:{params:a},timeoutMs:Fs,idempotencyKey:Y()},Fs+5e3);this.invokeResult=l?.payload!==void 0?ce(l.payload):l?.payloadJSON??"(no payload)"}catch(l){this.invokeError=l.message}this.invoking=!1,this.requestUpdate()}async token(e,t,s){let r=`${e}:${t}:${s}`;if(e==="revoke"&&this.armed!==r){this.armed=r,this.requestUpdate();return}this.armed="",this.newToken=null;let a=await this.call("devices",`device.token.${e}`,{deviceId:t,role:s});a&&e==="rotate"&&(this.newToken={deviceId:t,role:s,token:a.token}),a&&e==="revoke"&&(this.devNotice=a.revoked?`The ${s} token was revoked.`:`No ${s} token to revoke.`),await this.refreshDevices()}pendingList(e,t){return o`<ul id="${e}-pending" class="pending">
      ${t.map(s=>{let r=this.busy.has(s.requestId),a=this.rowErrors.get(s.requestId),l=s.displayName||s.nodeId||(s.deviceId?s.deviceId.slice(0,12):s.requestId);return o`<li class="pending-item ${e}-request" data-request-id=${s.requestId}>
          <div class="grow">
            <strong>${l}</strong>${s.isRepair?o`<span class="tag">repair</span>`:d}${s.role?o`<span class="tag">${s.role}</span>`:d}
            <div class="sub">${[s.platform,s.version,s.clientId,s.remoteIp,(s.scopes??[]).join(" "),I(s.ts)].filter(Boolean).join(" · ")}</div>
            ${a?o`<div class="note error" role="alert">${a}</div>`:d}
          </div>
          <button class="primary approve" ?disabled=${r} aria-label="Approve ${l}" @click=${()=>this.decide(e,!0,s.requestId)}>Approve</button>
          <button class="danger reject" ?disabled=${r} aria-label="Reject ${l}" @click=${()=>this.decide(e,!1,s.requestId)}>Reject</button>
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
          ${this.devices.map(s=>{let r=s.roles?.length?s.roles:s.role?[s.role]:[],a=s.displayName||s.deviceId.slice(0,12);return o`<li class="device" data-device-id=${s.deviceId}>
              <div><strong>${a}</strong> <span class="sub">${[s.platform,s.clientId,s.remoteIp].filter(Boolean).join(" · ")}</span></div>
              <div class="sub mono">${s.deviceId}</div>
              <div class="sub">approved ${X(s.approvedAtMs)}${(s.scopes??[]).length?` · scopes ${s.scopes.join(" ")}`:""}</div>
              <div class="row">
                ${r.map(l=>{let h=this.armed===`revoke:${s.deviceId}:${l}`;return o`<span class="tag">${l}</span>
                    <button class="rotate" aria-label="Rotate the ${l} token of ${a}" @click=${()=>this.token("rotate",s.deviceId,l)}>Rotate token</button>
                    <button class="revoke danger" aria-label="${h?"Confirm revoke":"Revoke"} the ${l} token of ${a}" @click=${()=>this.token("revoke",s.deviceId,l)}>${h?"Confirm revoke":"Revoke"}</button>`})}
              </div>
            </li>`})}
        </ul>
      </section>
    </div>`}};customElements.define("cb-nodes",Ae);var gt="clawdbot.controlUi.auth",Vs="clawdbot.controlUi.instanceId",zs="clawdbot.controlUi.theme",ft=[{id:"overview",label:"Overview",make:()=>new he},{id:"chat",label:"Chat",make:()=>new ue},{id:"channels",label:"Channels",make:()=>new we},{id:"instances",label:"Instances",make:()=>new ke},{id:"sessions",label:"Sessions",make:()=>new me},{id:"cron",label:"Cron",make:()=>new ge},{id:"skills",label:"Skills",make:()=>new Ee},{id:"nodes",label:"Nodes",make:()=>new Ae},{id:"approvals",label:"Approvals",make:()=>new fe},{id:"config",label:"Config",make:()=>new $e},{id:"logs",label:"Logs",make:()=>new pe},{id:"debug",label:"Debug",make:()=>new be}];function Js(){try{let n=JSON.parse(localStorage.getItem(gt)||"null");if(n&&typeof n=="object")return n}catch{}return null}function Pi(){let n=localStorage.getItem(Vs);return n||(n=Y(),localStorage.setItem(Vs,n)),n}function Ws(){let n=location.hash.replace(/^#\/?/,"");return ft.find(i=>i.id===n)?.id??"overview"}var Se=class extends O{constructor(){super();this.views=new Map;this.route=Ws();this.conn="idle";this.showLogin=!1;this.loginError="";this.banner="";this.serverInfo="";this.canvasUrl="";this.approvals=0;this.pairing=new Set;this.pairingGen=0;this.theme=localStorage.getItem(zs)||"system";let e=window.__CLAWDBOT_CONTROL_UI_BASE_PATH__||"",t=`${location.protocol==="https:"?"wss":"ws"}://${location.host}${e}/`;this.gw=new De(t,Pi());for(let s of ft){let r=s.make();r.gw=this.gw,r.id=`view-${s.id}`,r.classList.add("view"),this.views.set(s.id,r)}this.views.get("approvals").onCount=s=>{this.approvals=s,this.requestUpdate()},this.applyTheme(),this.wire()}createRenderRoot(){return this}connectedCallback(){super.connectedCallback(),window.addEventListener("hashchange",()=>this.go(Ws(),!1));let e=Js();e?this.gw.start(e):Jt()?this.gw.start({}):this.showLogin=!0,this.setActive(),setInterval(()=>this.views.get(this.route)?.requestUpdate(),5e3)}wire(){let e=this.gw;e.addEventListener("state",t=>{let{state:s,reason:r}=t.detail;if(this.conn=s,document.body.dataset.conn=s,s==="disconnected"||s==="connecting"&&e.attempt>0?this.banner=`Disconnected from the gateway${r?` (${r})`:""}. Reconnecting…`:this.banner="",s==="unauthorized"&&(this.showLogin=!0,this.loginError=`The gateway refused the token: ${r||"unauthorized"}`),s!=="connected")for(let a of this.views.values())a.disconnected();this.requestUpdate()}),e.addEventListener("retry",t=>{let s=t.detail;this.banner=e.pairingRequestId?`This browser is waiting for device pairing approval (request ${e.pairingRequestId}): approve it from a paired Control UI or with the CLI. Retrying in ${(s.delay/1e3).toFixed(1)} s…`:`Disconnected from the gateway. Reconnecting in ${(s.delay/1e3).toFixed(1)} s (attempt ${s.attempt})…`,this.requestUpdate()}),e.addEventListener("hello",t=>{let s=t.detail;this.showLogin=!1,this.loginError="";let r=s.server||{};this.serverInfo=`${r.host?r.host+" · ":""}${/^\d/.test(r.version||"")?"v":""}${r.version??""}${r.commit?" ("+r.commit.slice(0,7)+")":""}`,this.canvasUrl=s.canvasHostUrl?`${s.canvasHostUrl}/__clawdbot__/canvas/`:"";let a=s.snapshot||{};this.views.get("overview").applyHello(a),this.views.get("chat").setSession(a.sessionDefaults?.mainSessionKey||"main"),this.views.get("sessions").mainKey=a.sessionDefaults?.mainSessionKey||"",this.requestUpdate();for(let l of this.views.values())l.connected();this.refreshPairing()}),e.addEventListener("gap",()=>{for(let t of this.views.values())t.connected();this.refreshPairing()}),e.addEventListener("event",t=>{let s=t.detail;s.event==="shutdown"&&(this.banner=s.payload?.restartExpectedMs?"The gateway is restarting…":"The gateway is stopping…",this.requestUpdate()),this.pairingEvent(s);for(let r of this.views.values())r.onEvent(s)})}async refreshPairing(){let e=++this.pairingGen,t=async a=>{if(!this.gw.supports(a))return[];try{return(await this.gw.request(a))?.pending??[]}catch{return[]}},[s,r]=await Promise.all([t("node.pair.list"),t("device.pair.list")]);e===this.pairingGen&&(this.pairing=new Set([...s.map(a=>"node:"+a.requestId),...r.map(a=>"device:"+a.requestId)]),this.requestUpdate())}pairingEvent(e){let t=/^(node|device)\.pair\.(requested|resolved)$/.exec(e.event),s=e.payload?.requestId;if(!t||typeof s!="string")return;let r=`${t[1]}:${s}`;t[2]==="requested"?this.pairing.add(r):this.pairing.delete(r),this.requestUpdate()}go(e,t=!0){t&&location.hash!==`#/${e}`&&(location.hash=`#/${e}`),this.route=e,this.setActive(),this.requestUpdate()}setActive(){for(let[e,t]of this.views){let s=e===this.route,r=t.active;t.active=s,t.hidden=!s,s&&!r&&this.gw.state==="connected"&&t.shown()}}applyTheme(){this.theme==="system"?delete document.documentElement.dataset.theme:document.documentElement.dataset.theme=this.theme}cycleTheme(){this.theme={system:"light",light:"dark",dark:"system"}[this.theme]||"system",localStorage.setItem(zs,this.theme),this.applyTheme(),this.requestUpdate()}login(e){e.preventDefault();let t=this.querySelector("#token"),s=this.querySelector("#use-password"),r=t.value.trim(),a=r?s.checked?{password:r}:{token:r}:{};localStorage.setItem(gt,JSON.stringify(a)),t.value="",this.showLogin=!1,this.loginError="",this.requestUpdate(),this.gw.start(a)}logout(){localStorage.removeItem(gt),Gt(),this.gw.stop(),this.showLogin=!0,this.requestUpdate()}updated(){this.showLogin&&this.querySelector("#token")?.focus()}render(){let e={idle:"not connected",connecting:"connecting…",connected:"connected",disconnected:"disconnected",unauthorized:"token rejected"}[this.conn],t=!this.showLogin&&this.gw.hello!=null;return o`
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
        <button id="reconnect-now" class="ghost" @click=${()=>{let s=Js();s&&this.gw.start(s)}}>Retry now</button>
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
        ${ft.map(s=>o`<a id="nav-${s.id}" href="#/${s.id}" aria-current=${s.id===this.route?"page":d}
            @click=${r=>(r.preventDefault(),this.go(s.id))}>${s.label}${s.id==="approvals"&&this.approvals?o` <span id="approvals-badge" class="count alert" aria-label="${this.approvals} waiting">${this.approvals}</span>`:d}${s.id==="nodes"&&this.pairing.size?o` <span id="pairing-badge" class="count alert" aria-label="${this.pairing.size} pairing request${this.pairing.size>1?"s":""} waiting">${this.pairing.size}</span>`:d}</a>`)}
      </nav>
      <main id="dash" tabindex="-1" ?hidden=${!t}>${[...this.views.values()]}</main>`}};customElements.define("cb-app",Se);var Di=new Se;document.body.append(Di);export{Ci as registerConfigForm};
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
lit-html/directive.js:
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

lit-html/directive-helpers.js:
lit-html/directives/live.js:
  (**
   * @license
   * Copyright 2020 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
