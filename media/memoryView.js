// The memory view's page (src/views/memoryView.ts makes it): it draws the rows the extension sends
// and tells it what the user does (an expression to follow, a scroll, a resize, a byte typed).
// No state of its own beyond the selected byte and the digit typed so far.
(function () {
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  const grid = $('grid'), input = $('expression');
  let selected = null; // the address of the selected byte
  let typed = ''; // the first hex digit typed over it
  let rowHeight = 18;
  let last = { rows: [], where: '', state: 'none' }; // the last render message
  let lastExpression;

  $('follow').addEventListener('submit', (e) => {
    e.preventDefault();
    vscode.postMessage({ type: 'follow', expression: input.value });
  });

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render(m) {
    last = m;
    // A new expression (from the extension: a context menu's) replaces what the input holds; a render
    // for the same one leaves alone what the user is typing.
    if (m.expression !== undefined && m.expression !== lastExpression) input.value = lastExpression = m.expression;
    $('where').textContent = m.where + (m.hint ? `  (${m.hint})` : '');
    $('error').textContent = m.error || '';
    $('notice').textContent = m.notice || '';
    document.body.dataset.state = m.state;
    const frag = document.createDocumentFragment();
    for (const r of m.rows) {
      const row = el('div', 'row');
      row.appendChild(el('span', 'offset', r.offset));
      const bytes = el('span', 'bytes');
      r.cells.forEach((c, i) => {
        const cls = ['byte'];
        if (c.unreadable) cls.push('unreadable');
        if (c.changed) cls.push('changed');
        if (c.target) cls.push('target');
        if (i === 8) cls.push('gap');
        if (c.address === selected) cls.push('selected');
        const b = el('span', cls.join(' '), c.address === selected && typed ? typed + '_' : c.text);
        b.dataset.address = String(c.address);
        b.title = `${'0x' + c.address.toString(16).padStart(8, '0')}${c.unreadable ? ': cannot be read (not mapped)' : ''}${c.changed ? ': changed since the last stop' : ''}`;
        bytes.appendChild(b);
      });
      row.appendChild(bytes);
      row.appendChild(el('span', 'ascii', r.ascii));
      frag.appendChild(row);
    }
    grid.replaceChildren(frag);
    const first = grid.querySelector('.row');
    if (first) rowHeight = first.getBoundingClientRect().height || rowHeight;
  }

  function resize() {
    const free = window.innerHeight - grid.getBoundingClientRect().top - 8;
    vscode.postMessage({ type: 'resize', rows: Math.max(1, Math.floor(free / rowHeight)) });
  }

  function select(address) {
    selected = address;
    typed = '';
    render(last);
  }

  grid.addEventListener('click', (e) => {
    const b = e.target.closest('.byte');
    if (!b) return;
    grid.focus();
    select(Number(b.dataset.address));
  });

  grid.addEventListener('wheel', (e) => {
    e.preventDefault();
    const rows = Math.sign(e.deltaY) * Math.max(1, Math.round(Math.abs(e.deltaY) / rowHeight));
    vscode.postMessage({ type: 'scroll', rows });
  }, { passive: false });

  grid.addEventListener('keydown', (e) => {
    const page = Math.max(1, last.rows.length - 1);
    const scroll = { PageDown: page, PageUp: -page }[e.key];
    if (scroll) { vscode.postMessage({ type: 'scroll', rows: scroll }); e.preventDefault(); return; }
    if (selected === null) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { vscode.postMessage({ type: 'scroll', rows: e.key === 'ArrowDown' ? 1 : -1 }); e.preventDefault(); }
      return;
    }
    const move = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -16, ArrowDown: 16 }[e.key];
    if (move) { select(selected + move); e.preventDefault(); return; }
    if (e.key === 'Escape') { select(null); return; }
    if (/^[0-9a-fA-F]$/.test(e.key)) {
      e.preventDefault();
      if (!typed) { typed = e.key; render(last); return; }
      vscode.postMessage({ type: 'write', address: selected, value: typed + e.key });
      const next = selected + 1;
      typed = '';
      select(next);
    }
  });

  window.addEventListener('message', (e) => {
    const m = e.data;
    if (m.type === 'render') render(m);
    else if (m.type === 'focus') { input.focus(); if (m.select) input.select(); }
  });
  window.addEventListener('resize', resize);
  vscode.postMessage({ type: 'ready' });
  resize();
})();
