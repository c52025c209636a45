// Snapshot of the page for the browser tool: the visible text in reading order, with
// every interactive element (links, buttons, inputs, ...) written inline as
// role "name" [ref=eN] and tagged data-clawd-ref="eN" so act can find it again.
// Refs are renumbered by every snapshot. A function of the text limit (the walk stops
// once that much text is collected); returns {title, url, text, refs, truncated}.
((limit) => {
  const ATTR = 'data-clawd-ref';
  const INTERACTIVE = 'a[href],button,input:not([type=hidden]),textarea,select,summary,' +
    '[role=button],[role=link],[role=checkbox],[role=radio],[role=tab],[role=menuitem],' +
    '[role=textbox],[role=combobox],[role=switch],[contenteditable=""],[contenteditable=true],[onclick]';
  const BLOCK = /^(ADDRESS|ARTICLE|ASIDE|BLOCKQUOTE|BR|DD|DIV|DL|DT|FIELDSET|FIGCAPTION|FIGURE|FOOTER|FORM|H[1-6]|HEADER|HR|LI|MAIN|NAV|OL|P|PRE|SECTION|TABLE|TR|UL|TD|TH|LABEL|DETAILS)$/;
  const SKIP = /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|HEAD|SVG|CANVAS|IFRAME)$/;
  for (const el of document.querySelectorAll('[' + ATTR + ']')) el.removeAttribute(ATTR);
  const clip = (s, n) => { s = String(s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '…' : s; };
  const roleOf = el => {
    const r = el.getAttribute('role');
    if (r) return r;
    const tag = el.tagName;
    if (tag === 'A') return 'link';
    if (tag === 'BUTTON' || tag === 'SUMMARY') return 'button';
    if (tag === 'SELECT') return 'combobox';
    if (tag === 'TEXTAREA') return 'textbox';
    if (tag === 'INPUT') {
      const t = (el.type || 'text').toLowerCase();
      if (t === 'checkbox' || t === 'radio') return t;
      if (t === 'submit' || t === 'button' || t === 'reset' || t === 'image') return 'button';
      if (t === 'range') return 'slider';
      return 'textbox';
    }
    if (el.isContentEditable) return 'textbox';
    return 'button';
  };
  const nameOf = el => {
    const aria = el.getAttribute('aria-label');
    if (aria) return aria;
    if (el.labels && el.labels.length) return el.labels[0].innerText;
    if (el.tagName === 'INPUT' && /^(submit|button|reset)$/i.test(el.type)) return el.value;
    const text = el.tagName === 'SELECT' ? '' : el.innerText;
    return text || el.getAttribute('placeholder') || el.getAttribute('title') || el.getAttribute('alt') || el.getAttribute('name') || '';
  };
  const hidden = el => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') return true;
    return el.getClientRects().length === 0 && s.display !== 'contents';
  };
  const lines = [];
  let cur = '';
  let n = 0;
  let total = 0;
  const flush = () => { const t = cur.replace(/\s+/g, ' ').trim(); if (t) { lines.push(t); total += t.length + 1; } cur = ''; };
  const walk = node => {
    if (total + cur.length > limit) return;
    if (node.nodeType === 3) { cur += node.nodeValue; return; }
    if (node.nodeType !== 1) return;
    const el = node;
    if (SKIP.test(el.tagName.toUpperCase()) || hidden(el)) return;
    if (el.matches(INTERACTIVE)) {
      n++;
      const ref = 'e' + n;
      el.setAttribute(ATTR, ref);
      const role = roleOf(el);
      let extra = '';
      if (role === 'textbox' || role === 'combobox' || role === 'slider') {
        const v = el.isContentEditable ? el.innerText : el.value;
        extra = ' value="' + clip(v, 200) + '"';
      }
      if ((role === 'checkbox' || role === 'radio') && el.checked) extra = ' checked';
      if (el.disabled) extra += ' disabled';
      if (role === 'link' && el.getAttribute('href')) extra += ' href="' + clip(el.getAttribute('href'), 200) + '"';
      cur += ' ' + role + ' "' + clip(nameOf(el), 120) + '"' + extra + ' [ref=' + ref + '] ';
      return;
    }
    const block = BLOCK.test(el.tagName);
    if (block) flush();
    if (/^H[1-6]$/.test(el.tagName)) cur += '#'.repeat(+el.tagName[1]) + ' ';
    if (el.tagName === 'LI') cur += '- ';
    for (const c of el.childNodes) walk(c);
    if (el.shadowRoot) for (const c of el.shadowRoot.childNodes) walk(c);
    if (block) flush();
  };
  if (document.body) walk(document.body);
  flush();
  return {title: document.title, url: location.href, text: lines.join('\n'), refs: n, truncated: total > limit};
})
