/* tend's live console: progressive enhancement of the page the server renders at / (index.html).
 *
 * Without this script the page is complete: a table of processes with plain links acting through
 * supervisord's query API. With it, once api/events has sent its first snapshot:
 * - the table follows the server-sent events (no polling, no reload),
 * - actions go through POST api/action (JSON) and their message is shown,
 * - a filter box, collapsible groups, signal buttons and a log pane that follows api/log.
 *
 * Rules kept here: data from the server reaches the DOM only through textContent and attributes
 * (never innerHTML); the only timers are the uptime tick (while something runs and the page is
 * visible) and the reconnect back-off after the event stream closed for good.
 */
'use strict';

(function () {
  const root = document.getElementById('console');
  const table = document.getElementById('processes');
  if (!root || !table || !window.EventSource || !window.fetch) return;

  const API = root.getAttribute('data-api') || 'api/';
  const SIGNALS = ['HUP', 'INT', 'TERM', 'USR1', 'USR2', 'QUIT', 'KILL'];
  const LOG_LIMIT = 512 * 1024;  // characters kept in the log pane; older text is dropped
  const COLUMNS = [
    ['state', 'State'], ['name', 'Name'], ['description', 'Description'],
    ['restarts', 'Restarts'], ['exit', 'Exit'], ['checks', 'Checks'], ['actions', 'Actions'],
  ];
  // Which buttons make sense in which state (the server refuses the others anyway).
  const CAN = {
    start: ['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN'],
    stop: ['RUNNING', 'STARTING', 'BACKOFF'],
    restart: ['RUNNING', 'STARTING', 'BACKOFF', 'STOPPED', 'EXITED', 'FATAL', 'UNKNOWN'],
    signal: ['RUNNING', 'STARTING', 'STOPPING'],
  };

  // ---- DOM helpers -------------------------------------------------------------------------

  /* el('button', {class: 'x', onclick: f}, 'text', child...): attributes are set with
   * setAttribute (values are never parsed as markup); strings become text nodes. */
  function el(tag, attrs) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c !== null && c !== undefined && c !== false) e.append(c);
    }
    return e;
  }

  function duration(s) {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400);
    const h = Math.floor(s % 86400 / 3600);
    const m = String(Math.floor(s % 3600 / 60)).padStart(2, '0');
    const sec = String(s % 60).padStart(2, '0');
    return (d ? d + (d === 1 ? ' day, ' : ' days, ') : '') + h + ':' + m + ':' + sec;
  }

  // ---- model ---------------------------------------------------------------------------------

  const procs = new Map();  // namespec -> {p: process JSON, at: performance.now() when received}
  const collapsed = new Set(loadCollapsed());
  let live = false;         // a snapshot arrived: the table is ours
  let supervisor = null;

  function loadCollapsed() {
    try { return JSON.parse(sessionStorage.getItem('tend.collapsed') || '[]'); } catch (e) { return []; }
  }
  function saveCollapsed() {
    try { sessionStorage.setItem('tend.collapsed', JSON.stringify(Array.from(collapsed))); } catch (e) { /* private mode */ }
  }

  function uptime(entry) {
    if (entry.p.state !== 'RUNNING') return 0;
    return (entry.p.uptime_seconds || 0) + (performance.now() - entry.at) / 1000;
  }

  function byGroupThenName(a, b) {
    return a.group < b.group ? -1 : a.group > b.group ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  }

  // ---- toolbar, message, connection state ---------------------------------------------------

  const filter = el('input', {
    type: 'search', id: 'filter', placeholder: 'name, group or state', autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'shown', oninput: function () { applyFilter(); },
    onkeydown: function (e) { if (e.key === 'Escape' && filter.value) { filter.value = ''; applyFilter(); } },
  });
  const shown = el('span', {id: 'shown', class: 'muted'});
  const conn = el('span', {id: 'conn', class: 'conn connecting', role: 'status'}, 'connecting…');
  const mainLogButton = el('button', {type: 'button', id: 'mainlog', onclick: function () { openLog(null, 'main'); }}, 'Main log');
  const toolbar = el('div', {class: 'toolbar', hidden: true},
    el('label', {for: 'filter'}, 'Filter'), filter, shown,
    el('span', {class: 'spacer'}), mainLogButton, conn);
  table.parentNode.insertBefore(toolbar, table);

  function message(text, ok) {
    let m = document.getElementById('message');
    if (!m) {
      m = el('p', {id: 'message', role: 'status'});
      toolbar.parentNode.insertBefore(m, toolbar);
    }
    m.textContent = text;
    m.className = ok ? 'ok' : 'error';
    m.hidden = !text;
  }

  function setConn(state, text) {
    conn.className = 'conn ' + state;
    conn.textContent = text;
  }

  // ---- table ---------------------------------------------------------------------------------

  function stateCell(p) {
    return el('td', {class: 'state state-' + p.state.toLowerCase(), 'data-label': 'State'}, p.state);
  }

  function descriptionText(entry) {
    const p = entry.p;
    if (p.state === 'RUNNING' && p.pid) return 'pid ' + p.pid + ', uptime ' + duration(uptime(entry));
    return p.description || '';
  }

  function exitText(p) {
    if (!p.stop || ['EXITED', 'BACKOFF', 'FATAL'].indexOf(p.state) < 0) return '';
    return String(p.exitstatus);
  }

  function checksCell(p) {
    const td = el('td', {class: 'checks', 'data-label': 'Checks'});
    if (p.ready !== null && p.ready !== undefined) {
      td.append(el('span', {class: 'badge ' + (p.ready ? 'good' : 'bad')}, p.ready ? 'ready' : 'not ready'), ' ');
    }
    if (p.healthy !== null && p.healthy !== undefined) {
      td.append(el('span', {class: 'badge ' + (p.healthy ? 'good' : 'bad'), title: p.health_detail || null},
        p.healthy ? 'healthy' : 'unhealthy'));
      if (!p.healthy && p.health_detail) td.append(' ', el('span', {class: 'detail'}, p.health_detail));
    }
    return td;
  }

  function actionButton(action, label, p, extra) {
    return el('button', Object.assign({
      type: 'button', class: 'act', 'data-action': action,
      'aria-label': label + ' ' + p.namespec,
      onclick: function () { act(Object.assign({action: action, namespec: p.namespec}, extra || {})); },
    }, extra ? {'data-signal': extra.signal} : {}), label);
  }

  function actionsCell(p) {
    const logs = p.logs || [];
    // The "More" menu is filled when first opened (a click on its summary, also from the
    // keyboard): a thousand rows need no eight thousand buttons up front.
    const menu = el('div', {class: 'menu'});
    const summary = el('summary', {'aria-label': 'More actions for ' + p.namespec, onclick: function () {
      if (menu.firstChild) return;
      menu.append(el('span', {class: 'muted'}, 'Signal'));
      for (const s of SIGNALS) menu.append(actionButton('signal', s, p, {signal: s}));
      menu.append(actionButton('clearlog', 'Clear log', p));
      syncActions(menu.parentNode.parentNode, procs.get(p.namespec).p);
    }}, 'More');
    return el('td', {class: 'actions', 'data-label': 'Actions'},
      actionButton('start', 'Start', p), actionButton('stop', 'Stop', p),
      actionButton('restart', 'Restart', p),
      el('button', {type: 'button', class: 'act', 'data-action': 'log', disabled: !logs.length,
                    'aria-label': 'Log of ' + p.namespec,
                    onclick: function () { openLog(p.namespec, logs[0]); }}, 'Log'),
      el('details', {class: 'more'}, summary, menu));
  }

  /* Enables the buttons that fit the state; focus on a button being disabled moves to the
   * first enabled one of the row (a keyboard user who pressed Stop lands on Start). */
  function syncActions(td, p) {
    let lostFocus = false;
    for (const b of td.querySelectorAll('button[data-action]')) {
      const allowed = CAN[b.getAttribute('data-action')];
      if (!allowed) continue;  // log and clear log: always as rendered
      const off = allowed.indexOf(p.state) < 0;
      if (off && b === document.activeElement) lostFocus = true;
      b.disabled = off;
    }
    if (lostFocus) {
      const next = td.querySelector('button:not([disabled])');
      if (next) next.focus();
    }
  }

  function row(entry) {
    const p = entry.p;
    const tail = 'tail.html?processname=' + encodeURIComponent(p.namespec);
    const tr = el('tr', {'data-namespec': p.namespec},
      stateCell(p),
      el('td', {class: 'name', 'data-label': 'Name'}, el('a', {href: tail, 'data-log': p.namespec}, p.namespec)),
      el('td', {class: 'description', 'data-label': 'Description'}, descriptionText(entry)),
      el('td', {class: 'restarts num' + (p.restarts ? '' : ' zero'), 'data-label': 'Restarts'}, String(p.restarts || 0)),
      el('td', {class: 'exit num', 'data-label': 'Exit'}, exitText(p)),
      checksCell(p),
      actionsCell(p));
    syncActions(tr.lastChild, p);
    return tr;
  }

  /* Updates a row in place (the actions cell stays, so focus and an open menu survive). */
  function patchRow(tr, entry) {
    const p = entry.p;
    const fresh = row(entry);
    for (const cls of ['state', 'description', 'restarts', 'exit', 'checks']) {
      tr.querySelector('td.' + cls).replaceWith(fresh.querySelector('td.' + cls));
    }
    syncActions(tr.querySelector('td.actions'), p);
  }

  function groupHeader(group, entries) {
    const running = entries.filter(function (e) { return e.p.state === 'RUNNING'; }).length;
    const open = !collapsed.has(group);
    const toggle = el('button', {type: 'button', class: 'toggle', 'aria-expanded': String(open),
                                 onclick: function () { toggleGroup(group); }}, group);
    return el('tr', {class: 'group'},
      el('th', {colspan: span(), scope: 'rowgroup'}, toggle,
        el('span', {class: 'muted count'}, running + ' of ' + entries.length + ' running')));
  }

  /* A group gets a header row (and can collapse) unless it is one program named like it. */
  function hasHeader(group, entries) {
    return entries.length > 1 || entries[0].p.name !== group;
  }

  function renderAll() {
    const focus = focusKey();
    const groups = new Map();
    for (const entry of Array.from(procs.values()).sort(function (a, b) { return byGroupThenName(a.p, b.p); })) {
      if (!groups.has(entry.p.group)) groups.set(entry.p.group, []);
      groups.get(entry.p.group).push(entry);
    }
    const thead = el('thead', null, el('tr', null, ...COLUMNS.map(function (c) {
      return el('th', {scope: 'col', class: c[0]}, c[1]);
    })));
    for (const old of table.querySelectorAll('thead, tbody')) old.remove();
    if (watcher) { watcher.disconnect(); onScreen.clear(); }
    table.append(thead);
    for (const [group, entries] of groups) {
      const body = el('tbody', {'data-group': group});
      if (hasHeader(group, entries)) body.append(groupHeader(group, entries));
      for (const entry of entries) body.append(watch(row(entry)));
      table.append(body);
    }
    // The server's own "no programs" paragraph, or ours.
    const empty = document.getElementById('empty');
    if (empty) empty.hidden = groups.size > 0;
    else if (!groups.size) {
      table.append(el('tbody', null, el('tr', null, el('td', {colspan: span(), class: 'muted'}, 'No programs are configured.'))));
    }
    refreshDecor();
    restoreFocus(focus);
  }

  function updateOne(p) {
    const entry = {p: p, at: performance.now()};
    const known = procs.has(p.namespec);
    procs.set(p.namespec, entry);
    const tr = known && table.querySelector('tr[data-namespec="' + CSS.escape(p.namespec) + '"]');
    if (!tr) { renderAll(); return; }
    patchRow(tr, entry);
    const body = tr.parentNode;
    const header = body.querySelector('tr.group');
    if (header) {
      const entries = Array.from(procs.values()).filter(function (e) { return e.p.group === p.group; });
      header.replaceWith(groupHeader(p.group, entries));
    }
    refreshDecor(body);
  }

  function removeOne(namespec) {
    procs.delete(namespec);
    renderAll();
  }

  /* The checks column shows when any process has a readiness or health check. */
  function anyChecks() {
    for (const e of procs.values()) if (e.p.ready != null || e.p.healthy != null) return true;
    return false;
  }

  /* Columns a full-width row spans: a hidden column must not count (the fixed table layout
   * would make it an extra column). */
  function span() {
    return COLUMNS.length - (anyChecks() ? 0 : 1);
  }

  /* What depends on more than one row: the checks column, the filter and collapsing (of `body`
   * only, when one row changed), the uptime tick. */
  function refreshDecor(body) {
    const checks = anyChecks();
    if (body && checks === table.classList.contains('no-checks')) { renderAll(); return; }
    table.classList.toggle('no-checks', !checks);
    applyFilter(body);
    let running = false;
    for (const e of procs.values()) if (e.p.state === 'RUNNING') { running = true; break; }
    if (body) setTicker(running); else tick();
  }

  function toggleGroup(group) {
    if (collapsed.has(group)) collapsed.delete(group); else collapsed.add(group);
    saveCollapsed();
    const body = table.querySelector('tbody[data-group="' + CSS.escape(group) + '"]');
    if (body) body.querySelector('button.toggle').setAttribute('aria-expanded', String(!collapsed.has(group)));
    applyFilter();
  }

  /* Every word of the filter must appear in the row's name, group, state or description. An
   * active filter shows matches inside collapsed groups too. */
  function applyFilter(only) {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const body of only ? [only] : table.querySelectorAll('tbody[data-group]')) {
      const fold = !words.length && collapsed.has(body.getAttribute('data-group')) && !!body.querySelector('tr.group');
      let any = false;
      for (const tr of body.querySelectorAll('tr[data-namespec]')) {
        const entry = procs.get(tr.getAttribute('data-namespec'));
        if (!entry) continue;
        const hay = (entry.p.namespec + ' ' + entry.p.state + ' ' + (entry.p.description || '')).toLowerCase();
        const match = words.every(function (w) { return hay.indexOf(w) >= 0; });
        tr.hidden = !match || fold;
        if (match) any = true;
      }
      body.hidden = !any;
    }
    const total = procs.size;
    if (!words.length) {
      shown.textContent = total + (total === 1 ? ' process' : ' processes');
    } else {
      const visible = table.querySelectorAll('tbody:not([hidden]) tr[data-namespec]:not([hidden])').length;
      shown.textContent = visible + ' of ' + total + ' shown';
    }
  }

  function focusKey() {
    const a = document.activeElement;
    const tr = a && a.closest && a.closest('tr[data-namespec]');
    if (!tr) return null;
    return {ns: tr.getAttribute('data-namespec'), action: a.getAttribute('data-action'), signal: a.getAttribute('data-signal')};
  }

  function restoreFocus(key) {
    if (!key) return;
    const tr = table.querySelector('tr[data-namespec="' + CSS.escape(key.ns) + '"]');
    if (!tr) return;
    const sel = key.action ? 'button[data-action="' + key.action + '"]' + (key.signal ? '[data-signal="' + key.signal + '"]' : '') : 'button';
    const b = tr.querySelector(sel + ':not([disabled])') || tr.querySelector('button:not([disabled])');
    if (b) b.focus();
  }

  // ---- uptime tick ---------------------------------------------------------------------------

  let ticker = null;
  // Rows on screen: only their uptime is rewritten each second (a thousand rows rewritten every
  // second would cost the page a table layout each time); a row scrolled into view catches up.
  const onScreen = new Set();
  const watcher = window.IntersectionObserver ? new IntersectionObserver(function (changes) {
    for (const c of changes) {
      if (c.isIntersecting) { onScreen.add(c.target); refreshUptime(c.target); } else onScreen.delete(c.target);
    }
  }) : null;

  function watch(tr) {
    if (watcher) watcher.observe(tr);
    return tr;
  }

  function refreshUptime(tr) {
    const entry = procs.get(tr.getAttribute('data-namespec'));
    if (!entry || entry.p.state !== 'RUNNING' || !tr.isConnected) return;
    const td = tr.querySelector('td.description');
    const text = descriptionText(entry);
    if (td.textContent !== text) td.textContent = text;
  }

  /* Rewrites the running rows' descriptions; runs every second only while a process runs and
   * the page is visible. */
  function tick() {
    let running = false;
    for (const e of procs.values()) if (e.p.state === 'RUNNING') { running = true; break; }
    if (running) {
      for (const tr of watcher ? Array.from(onScreen) : table.querySelectorAll('tr[data-namespec]')) {
        if (tr.isConnected) refreshUptime(tr); else onScreen.delete(tr);
      }
    }
    setTicker(running);
  }

  function setTicker(running) {
    const want = running && !document.hidden;
    if (want && !ticker) ticker = setInterval(tick, 1000);
    if (!want && ticker) { clearInterval(ticker); ticker = null; }
  }
  document.addEventListener('visibilitychange', tick);

  // ---- actions -------------------------------------------------------------------------------

  function act(body) {
    message('…', true);
    return fetch(API + 'action', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {ok: false, message: r.status + ' ' + r.statusText}; });
    }, function (err) {
      return {ok: false, message: 'unable to reach tend: ' + err.message};
    }).then(function (res) {
      message(res.message || (res.ok ? 'done' : 'failed'), !!res.ok);
    });
  }

  /* Once live, the server-rendered links of the query API (and the tail links) act here
   * instead of reloading the page. A modified click (new tab) keeps the link's meaning. */
  root.addEventListener('click', function (e) {
    if (!live || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    const action = url.searchParams.get('action');
    const ns = url.searchParams.get('processname');
    if (/\/tail\.html$/.test(url.pathname) && ns) {
      e.preventDefault();
      openLog(ns, (procs.get(ns) && procs.get(ns).p.logs || ['stdout'])[0] || 'stdout');
    } else if (['start', 'stop', 'restart', 'clearlog'].indexOf(action) >= 0 && ns) {
      e.preventDefault();
      act({action: action, namespec: ns});
    } else if (action === 'stopall' || action === 'restartall') {
      e.preventDefault();
      act({action: action});
    } else if (action === 'refresh') {
      e.preventDefault();
      connect();  // a fresh snapshot
    }
  });

  // An open "More" menu closes on Escape (focus back on its summary) and on a click elsewhere.
  document.addEventListener('click', function (e) {
    for (const d of table.querySelectorAll('details.more[open]')) if (!d.contains(e.target)) d.open = false;
  });
  table.addEventListener('keydown', function (e) {
    const d = e.key === 'Escape' && e.target.closest('details.more[open]');
    if (d) { d.open = false; d.querySelector('summary').focus(); }
  });

  document.addEventListener('keydown', function (e) {
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      filter.focus();
    }
  });

  // ---- log pane ------------------------------------------------------------------------------

  const logText = document.createTextNode('');
  const logPre = el('pre', {id: 'logtext', tabindex: '0', 'aria-label': 'log output'}, logText);
  const logTitle = el('h2', {id: 'logtitle'});
  const logConn = el('span', {class: 'conn', role: 'status'});
  const follow = el('input', {type: 'checkbox', id: 'follow', checked: true,
                              onchange: function () { if (follow.checked) scrollLog(); }});
  const channels = el('span', {class: 'channels', role: 'group', 'aria-label': 'channel'});
  const pane = el('section', {id: 'logpane', hidden: true, 'aria-labelledby': 'logtitle'},
    el('div', {class: 'toolbar'}, logTitle, channels, el('span', {class: 'spacer'}),
      el('label', {class: 'check'}, follow, ' Follow'),
      el('button', {type: 'button', onclick: function () { logText.data = ''; }}, 'Clear view'),
      el('button', {type: 'button', onclick: closeLog}, 'Close'), logConn),
    logPre);
  table.parentNode.insertBefore(pane, table.nextSibling);
  let logSource = null;

  // Scrolling up stops following; scrolling back to the end follows again, like `less +F`.
  logPre.addEventListener('scroll', function () {
    const atEnd = logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 4;
    if (follow.checked !== atEnd) follow.checked = atEnd;
  });

  function scrollLog() { logPre.scrollTop = logPre.scrollHeight; }

  function appendLog(text) {
    const stick = follow.checked;
    logText.appendData(text);
    if (logText.length > LOG_LIMIT) {
      const cut = logText.data.indexOf('\n', logText.length - LOG_LIMIT);
      logText.deleteData(0, cut < 0 ? logText.length - LOG_LIMIT : cut + 1);
    }
    if (stick) scrollLog();
  }

  function openLog(namespec, channel) {
    closeLog();
    const entry = namespec && procs.get(namespec);
    const available = namespec ? (entry && entry.p.logs && entry.p.logs.length ? entry.p.logs : ['stdout', 'stderr']) : [];
    logTitle.textContent = namespec ? 'Log of ' + namespec : 'Main log';
    channels.replaceChildren();
    for (const ch of available) {
      channels.append(el('button', {type: 'button', 'aria-pressed': String(ch === channel),
                                    onclick: function () { openLog(namespec, ch); }}, ch));
    }
    logText.data = '';
    follow.checked = true;
    pane.hidden = false;
    pane.setAttribute('data-namespec', namespec || '');
    pane.setAttribute('data-channel', channel);
    const url = API + 'log?' + (namespec ? 'processname=' + encodeURIComponent(namespec) + '&' : '') +
      'channel=' + encodeURIComponent(channel);
    const src = new EventSource(url);
    logSource = src;
    logConn.className = 'conn connecting';
    logConn.textContent = 'connecting…';
    // Each (re)connection starts with the log's end again: start the view afresh.
    src.addEventListener('open', function () {
      logText.data = '';
      logConn.className = 'conn live';
      logConn.textContent = 'following';
    });
    src.addEventListener('data', function (e) { appendLog(JSON.parse(e.data)); });
    src.addEventListener('reset', function () { logText.data = ''; });
    src.addEventListener('error', function () {
      if (src !== logSource) return;
      const closed = src.readyState === EventSource.CLOSED;
      logConn.className = 'conn ' + (closed ? 'down' : 'connecting');
      logConn.textContent = closed ? 'closed' : 'reconnecting…';
    });
    pane.scrollIntoView({block: 'nearest'});
    logPre.focus({preventScroll: true});
  }

  function closeLog() {
    if (logSource) logSource.close();
    logSource = null;
    pane.hidden = true;
  }

  pane.addEventListener('keydown', function (e) { if (e.key === 'Escape') closeLog(); });

  // ---- the event stream ----------------------------------------------------------------------

  let events = null;
  let retry = 0;
  let retryTimer = null;

  function snapshot(status) {
    supervisor = status.supervisor;
    procs.clear();
    const now = performance.now();
    for (const p of status.processes) procs.set(p.namespec, {p: p, at: now});
    live = true;
    toolbar.hidden = false;
    // The page's raw main-log link gives way to the log pane (the toolbar's button).
    for (const a of root.querySelectorAll('a[href="mainlogtail"]')) a.hidden = true;
    root.classList.add('live');
    renderAll();
    showSupervisor();
  }

  function showSupervisor() {
    if (supervisor && supervisor.state && supervisor.state !== 'RUNNING') {
      setConn('down', 'tend is ' + supervisor.state.toLowerCase());
    } else {
      setConn('live', 'live');
    }
  }

  /* Opens (or reopens) api/events. The browser reconnects by itself after a dropped stream;
   * when it gives up (a non-stream answer, e.g. during a restart), retry with a back-off. */
  function connect() {
    if (events) events.close();
    clearTimeout(retryTimer);
    const src = new EventSource(API + 'events');
    events = src;
    src.addEventListener('snapshot', function (e) { retry = 0; snapshot(JSON.parse(e.data)); });
    src.addEventListener('process', function (e) { updateOne(JSON.parse(e.data)); });
    src.addEventListener('removed', function (e) { removeOne(JSON.parse(e.data).namespec); });
    src.addEventListener('supervisor', function (e) { supervisor = JSON.parse(e.data); showSupervisor(); });
    src.addEventListener('error', function () {
      if (src !== events) return;
      if (src.readyState === EventSource.CLOSED) {
        const wait = Math.min(30, Math.pow(2, retry++));
        setConn('down', 'disconnected; retrying in ' + wait + ' s');
        retryTimer = setTimeout(connect, wait * 1000);
      } else {
        setConn('connecting', 'reconnecting…');
      }
    });
  }

  connect();
})();
