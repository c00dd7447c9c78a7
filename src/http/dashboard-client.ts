/**
 * The dashboard's browser script, served as /review/assets/dashboard.js (no build step: plain
 * ES2020 that every current browser runs). Every piece of conversation, draft, verdict or
 * reviewer text is put into the page with textContent / text nodes, never as HTML. It is kept
 * free of template literals and backslash escapes so it can live in this TypeScript string.
 */
export const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var view = document.body.getAttribute('data-view');
  var turnId = document.body.getAttribute('data-turn');
  var app = document.getElementById('app');
  var live = document.getElementById('live');
  var pendingCount = document.getElementById('pending-count');
  var state = { items: [], selectedId: null, turn: null, pendingIds: [], range: '24h', busy: false };
  var SVG = 'http://www.w3.org/2000/svg';

  // ---- DOM helpers: text is always text -------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.setAttribute('class', value);
      else if (key.slice(0, 2) === 'on') node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    });
  }
  function append(node, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    });
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ---- Formatting ---------------------------------------------------------------------------
  function age(at) {
    var seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
    if (seconds < 60) return seconds + 's';
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + 'm';
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + 'h ' + (minutes % 60) + 'm';
    return Math.floor(hours / 24) + 'd';
  }
  function when(at) {
    return new Date(at).toLocaleString();
  }
  function ageNode(at) {
    return el('time', { class: 'age', datetime: new Date(at).toISOString(), 'data-at': at, title: when(at), text: age(at) });
  }
  function whyLabel(escalation) {
    if (!escalation) return 'escalated';
    if (escalation.source === 'rule') return 'rule: ' + (escalation.rule || '?');
    if (escalation.source === 'check') return 'check: ' + (escalation.rule || '?');
    return escalation.source;
  }
  function reviewerLabel(resolution) {
    if (!resolution) return '';
    var reviewer = resolution.reviewer || {};
    // A name typed with the shared token is not vouched for: say so wherever it is shown.
    return (reviewer.name || reviewer.id || '?') + ' (' + (reviewer.via || '?') + (reviewer.verified === false ? ', unverified' : '') + ')';
  }
  function channelNode(turn) {
    return turn.channel ? el('span', { class: 'channel', text: turn.channel }) : null;
  }
  function toast(message, kind) {
    var node = document.getElementById('toast');
    node.textContent = message;
    node.className = 'toast' + (kind ? ' ' + kind : '');
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { node.hidden = true; }, 5000);
  }

  // ---- API ------------------------------------------------------------------------------------
  function api(method, path, payload) {
    var headers = { accept: 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, credentials: 'same-origin', body: payload === undefined ? undefined : JSON.stringify(payload) }).then(function (response) {
      if (response.status === 401) {
        location.href = '/review/login?next=' + encodeURIComponent(location.pathname);
        throw new Error('signed out');
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || ('HTTP ' + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  function loadPending() {
    return api('GET', '/review/api/turns?status=pending').then(function (data) {
      state.pendingIds = data.turns.map(function (turn) { return turn.id; });
      pendingCount.textContent = data.turns.length ? String(data.turns.length) : '';
      return data.turns;
    });
  }

  // ---- Lists (pending, resolved) -------------------------------------------------------------
  function selectIndex(index) {
    var rows = app.querySelectorAll('.row');
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) {
      row.classList.toggle('selected', i === index);
      row.setAttribute('aria-selected', i === index ? 'true' : 'false');
    });
    state.selectedId = rows[index].getAttribute('data-id');
    rows[index].scrollIntoView({ block: 'nearest' });
  }
  function selectedPosition() {
    var ids = state.items.map(function (turn) { return turn.id; });
    return ids.indexOf(state.selectedId);
  }
  function lastUser(turn) {
    return turn.messages.length ? turn.messages[turn.messages.length - 1].user : '';
  }
  /** The decision a resolved turn got (edited, approved, rejected), or "pending". */
  function statusLabel(turn) {
    return turn.resolution ? turn.resolution.decision : turn.status;
  }
  function renderList(turns, resolved) {
    state.items = turns;
    clear(app);
    app.appendChild(el('h1', { text: resolved ? 'Resolved turns' : 'Waiting for review' }));
    if (!turns.length) {
      app.appendChild(el('p', { class: 'empty', text: resolved ? 'Nothing resolved yet.' : 'No turns waiting for review.' }));
      return;
    }
    var list = el('ol', { class: 'list', role: 'listbox', 'aria-label': resolved ? 'resolved turns' : 'pending turns' });
    turns.forEach(function (turn) {
      var meta = [ageNode(resolved && turn.resolution ? turn.resolution.at : (turn.escalation ? turn.escalation.at : turn.createdAt)), el('span', { class: 'platform', text: turn.platform }), el('span', { class: 'conv', text: turn.conversation }), channelNode(turn)];
      var lines = resolved
        ? [
            el('div', { class: 'line' }, [el('span', { class: 'badge d-' + (turn.resolution ? turn.resolution.decision : 'none'), text: turn.resolution ? turn.resolution.decision : turn.status }), ' by ', el('strong', { class: 'reviewer', text: reviewerLabel(turn.resolution) }), ' · ', el('span', { class: 'muted', text: turn.resolution ? when(turn.resolution.at) : '' })]),
            el('div', { class: 'excerpt', text: turn.reply !== null ? 'Posted: ' + turn.reply : 'Nothing posted' }),
          ]
        : [
            el('div', { class: 'line' }, [el('span', { class: 'badge why', text: whyLabel(turn.escalation) }), ' ', el('span', { class: 'reason', text: turn.escalation ? turn.escalation.reason : '' })]),
            el('div', { class: 'excerpt user-said', text: turn.messages.length ? lastUser(turn) + ': ' + turn.messages[turn.messages.length - 1].text : '' }),
            el('div', { class: 'excerpt', text: turn.draft !== null ? 'Draft: ' + turn.draft : 'No draft' }),
          ];
      list.appendChild(el('li', { class: 'row', 'data-id': turn.id, role: 'option', 'aria-selected': 'false' }, [
        el('a', { href: '/review/turns/' + encodeURIComponent(turn.id), class: 'row-link' }, [el('div', { class: 'meta' }, meta)].concat(lines)),
      ]));
    });
    app.appendChild(list);
    var position = selectedPosition();
    selectIndex(position < 0 ? 0 : position);
  }
  function refreshQueue() {
    return loadPending().then(function (turns) { renderList(turns, false); });
  }
  function refreshResolved() {
    loadPending().catch(function () {});
    return api('GET', '/review/api/turns?status=resolved&limit=100').then(function (data) { renderList(data.turns, true); });
  }

  // ---- One turn -------------------------------------------------------------------------------
  function section(title, children, extra) {
    return el('section', { class: 'card ' + (extra || '') }, [el('h2', { text: title })].concat(children));
  }
  function messageNode(role, who, text, at, current) {
    return el('li', { class: 'msg ' + role + (current ? ' current' : '') }, [
      el('div', { class: 'msg-meta' }, [el('strong', { text: who }), at ? ' · ' + when(at) : '', current ? ' · this turn' : '']),
      el('div', { class: 'msg-text', text: text }),
    ]);
  }
  var wantEdit = location.hash === '#edit';
  function renderTurn(turn) {
    // A live re-render must not lose what the reviewer is typing.
    var previous = document.getElementById('edit-text');
    var kept = previous && state.turn && state.turn.id === turn.id ? { value: previous.value, focused: document.activeElement === previous, start: previous.selectionStart, end: previous.selectionEnd } : null;
    state.turn = turn;
    clear(app);
    var pending = turn.status === 'pending';
    var conversation = el('ol', { class: 'conversation' });
    (turn.context || []).forEach(function (entry) {
      conversation.appendChild(messageNode(entry.role, entry.role === 'assistant' ? 'bot' : (entry.user || 'user'), entry.text, entry.at, false));
    });
    turn.messages.forEach(function (message) {
      conversation.appendChild(messageNode('user', message.user, message.text, message.at, true));
    });
    // After the escalation: the holding message the user got, and what they wrote since.
    if (turn.holding) {
      conversation.appendChild(el('li', { class: 'msg assistant holding' }, [
        el('div', { class: 'msg-meta' }, [el('strong', { text: 'bot' }), turn.holding.at ? ' · ' + when(turn.holding.at) : '', turn.holding.posted ? ' · holding message, posted' : ' · holding message, not posted yet']),
        el('div', { class: 'msg-text', text: turn.holding.text }),
      ]));
    }
    (turn.waiting || []).forEach(function (message) {
      conversation.appendChild(el('li', { class: 'msg user waiting' }, [
        el('div', { class: 'msg-meta' }, [el('strong', { text: message.user }), ' · ' + when(message.at), ' · sent while the turn waits for you (answered after your decision)']),
        el('div', { class: 'msg-text', text: message.text }),
      ]));
    });
    var escalation = turn.escalation || {};
    var verdict = turn.verdict;
    var header = el('div', { class: 'turn-head' }, [
      el('a', { href: '/review', class: 'back', text: '← list' }),
      el('h1', {}, [el('span', { class: 'badge s-' + turn.status + ' d-' + statusLabel(turn), text: statusLabel(turn) }), ' ', el('span', { text: turn.conversation })]),
      el('div', { class: 'meta' }, [el('span', { class: 'platform', text: turn.platform }), channelNode(turn), 'escalated ', ageNode(escalation.at || turn.createdAt), ' ago']),
    ]);
    var why = section('Why it is here', [
      el('p', {}, [el('span', { class: 'badge why', text: whyLabel(escalation) }), ' ', el('span', { class: 'reason', text: escalation.reason || '' })]),
    ], 'why');
    var verdictCard = section('Critic verdict', verdict
      ? [el('dl', { class: 'facts' }, [
          el('dt', { text: 'decision' }), el('dd', {}, el('span', { class: 'badge c-' + verdict.decision, text: verdict.decision })),
          el('dt', { text: 'confidence' }), el('dd', { text: String(verdict.confidence) }),
          el('dt', { text: 'categories' }), el('dd', { text: verdict.categories.length ? verdict.categories.join(', ') : '—' }),
          el('dt', { text: 'reason' }), el('dd', { text: verdict.reason }),
          verdict.feedback ? el('dt', { text: 'feedback' }) : null, verdict.feedback ? el('dd', { text: verdict.feedback }) : null,
          verdict.revised_text ? el('dt', { text: 'revised text' }) : null, verdict.revised_text ? el('dd', { class: 'pre', text: verdict.revised_text }) : null,
        ])]
      : [el('p', { class: 'muted', text: 'The critic gave no verdict (see why it is here).' })], 'verdict');
    var draftCard = section('Draft', [el('div', { class: 'draft pre', text: turn.draft !== null ? turn.draft : '(the actor produced no draft)' }), turn.revisions ? el('p', { class: 'muted', text: turn.revisions + ' redraft(s) asked by the critic' }) : null], 'draft-card');
    var side = [draftCard, why, verdictCard];
    if (pending) {
      var editor = el('textarea', { id: 'edit-text', rows: 6, 'aria-label': 'reply to send' });
      editor.value = turn.draft || '';
      editor.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          sendEdit();
        }
      });
      side.unshift(section('Decide', [
        el('div', { class: 'actions' }, [
          el('button', { id: 'approve', class: 'ok', type: 'button', onclick: function () { act('approve'); }, text: 'Approve draft (a)' }),
          el('button', { id: 'reject', class: 'danger', type: 'button', onclick: function () { act('reject'); }, text: 'Reject (r)' }),
        ]),
        el('label', { for: 'edit-text', text: 'Edit and send (e, then Ctrl+Enter)' }),
        editor,
        el('div', { class: 'actions' }, [el('button', { id: 'send-edit', type: 'button', onclick: function () { sendEdit(); }, text: 'Send edited reply' })]),
      ], 'decide'));
    } else {
      var resolution = turn.resolution;
      side.unshift(section('Decision', [
        el('p', {}, [el('span', { class: 'badge d-' + (resolution ? resolution.decision : 'none'), text: resolution ? resolution.decision : turn.status }), resolution ? ' by ' : '', resolution ? el('strong', { class: 'reviewer', text: reviewerLabel(resolution) }) : null, resolution ? ' · ' + when(resolution.at) : '']),
        el('p', { class: 'pre', text: turn.reply !== null ? 'Posted: ' + turn.reply : 'Nothing posted.' }),
      ], 'decision'));
    }
    app.appendChild(header);
    app.appendChild(el('div', { class: 'turn-grid' }, [section('Conversation', [conversation], 'conv'), el('div', { class: 'side' }, side)]));
    if (pending && kept) {
      var editorNow = document.getElementById('edit-text');
      editorNow.value = kept.value;
      if (kept.focused) {
        editorNow.focus();
        editorNow.setSelectionRange(kept.start, kept.end);
      }
    } else if (pending && wantEdit) {
      focusEditor();
    }
    wantEdit = false;
    if (location.hash) history.replaceState(null, '', location.pathname);
  }
  function refreshTurn() {
    loadPending().catch(function () {});
    return api('GET', '/review/api/turns/' + encodeURIComponent(turnId)).then(function (data) { renderTurn(data.turn); }, function (error) {
      clear(app);
      app.appendChild(el('p', { class: 'error', text: error.message }));
      app.appendChild(el('a', { href: '/review', text: 'Back to the list' }));
    });
  }
  function focusEditor() {
    var editor = document.getElementById('edit-text');
    if (!editor) return;
    editor.focus();
    editor.setSelectionRange(editor.value.length, editor.value.length);
  }
  function confirmAction(text) {
    return new Promise(function (resolve) {
      var dialog = document.getElementById('confirm');
      document.getElementById('confirm-text').textContent = text;
      dialog.returnValue = '';
      // The dialog answers Enter itself ("Enter confirms", whichever button has focus) instead of
      // relying on the browser's implicit form submission, which does not always carry the
      // button's value; the key stops here so the page's own Enter shortcut never sees it.
      function onKey(event) {
        if (event.key !== 'Enter') return;
        event.preventDefault();
        event.stopPropagation();
        dialog.close('ok');
      }
      dialog.addEventListener('keydown', onKey);
      dialog.addEventListener('close', function onClose() {
        // A close event is queued as a task: the one from the previous dialog (cancelled with
        // Esc) can arrive after this one opened. It is not this dialog's answer.
        if (dialog.open) return;
        dialog.removeEventListener('close', onClose);
        dialog.removeEventListener('keydown', onKey);
        resolve(dialog.returnValue === 'ok');
      });
      dialog.showModal();
      document.getElementById('confirm-ok').focus();
    });
  }
  function afterDecision(message, decidedId) {
    if (view !== 'turn') {
      toast(message, 'ok');
      return refreshQueue();
    }
    // On a turn page the reviewer moves on to the next waiting turn (the toast says what was
    // done, and travels with the page change); with none left, to the empty queue.
    return loadPending().then(function (turns) {
      var next = turns.filter(function (turn) { return turn.id !== decidedId; })[0];
      try { sessionStorage.setItem('cs-toast', message); } catch (error) { /* private mode: no toast */ }
      location.assign(next ? '/review/turns/' + encodeURIComponent(next.id) : '/review');
    }, function () {
      toast(message, 'ok');
      return refreshTurn();
    });
  }
  function decide(id, action, payload, message) {
    if (state.busy) return Promise.resolve();
    state.busy = true;
    return api('POST', '/review/api/turns/' + encodeURIComponent(id) + '/' + action, payload || {}).then(function () {
      return afterDecision(message, id);
    }, function (error) {
      toast(error.message, 'error');
      return view === 'turn' ? refreshTurn() : refreshQueue();
    }).then(function () { state.busy = false; }, function () { state.busy = false; });
  }
  function act(action, id) {
    id = id || (state.turn && state.turn.id);
    if (!id) return;
    var text = action === 'approve' ? 'Approve and post the draft as written?' : 'Reject this turn? Nothing more will be posted for it.';
    confirmAction(text).then(function (ok) {
      if (ok) decide(id, action, {}, action === 'approve' ? 'Approved: the draft will be posted.' : 'Rejected: nothing more will be posted.');
    });
  }
  function sendEdit() {
    var editor = document.getElementById('edit-text');
    if (!editor || !state.turn) return;
    var text = editor.value.trim();
    if (!text) {
      toast('The reply is empty.', 'error');
      return;
    }
    decide(state.turn.id, 'approve', { text: text }, 'Sent your reply.');
  }

  // ---- Activity chart ------------------------------------------------------------------------
  var SERIES = {
    critic: { title: "Critic's decisions", keys: ['approve', 'edit', 'revise', 'escalate'] },
    review: { title: 'Review outcomes', keys: ['approved', 'edited', 'rejected'] },
  };
  function bucketLabel(start, bucketMs) {
    var date = new Date(start);
    if (bucketMs < 86400000) return String(date.getHours()).padStart(2, '0') + ':00';
    return (date.getMonth() + 1) + '/' + date.getDate();
  }
  function chart(name, activity) {
    var series = SERIES[name];
    var buckets = activity.buckets;
    var width = 640, height = 220, left = 34, bottom = 24, top = 10;
    var plotHeight = height - bottom - top;
    var max = 1;
    buckets.forEach(function (bucket) {
      var sum = series.keys.reduce(function (total, key) { return total + bucket[name][key]; }, 0);
      if (sum > max) max = sum;
    });
    var slot = (width - left) / Math.max(1, buckets.length);
    var barWidth = Math.max(2, slot * 0.7);
    var graphic = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, class: 'chart', role: 'img', 'aria-label': series.title, 'data-series': name });
    graphic.appendChild(svg('line', { x1: left, y1: top + plotHeight, x2: width, y2: top + plotHeight, class: 'axis' }));
    graphic.appendChild(svg('text', { x: left - 4, y: top + 8, class: 'tick', 'text-anchor': 'end', text: String(max) }));
    graphic.appendChild(svg('text', { x: left - 4, y: top + plotHeight, class: 'tick', 'text-anchor': 'end', text: '0' }));
    var every = Math.ceil(buckets.length / 8);
    buckets.forEach(function (bucket, index) {
      var x = left + index * slot + (slot - barWidth) / 2;
      var y = top + plotHeight;
      series.keys.forEach(function (key) {
        var count = bucket[name][key];
        if (!count) return;
        var h = (count / max) * plotHeight;
        y -= h;
        graphic.appendChild(svg('rect', { x: x.toFixed(1), y: y.toFixed(1), width: barWidth.toFixed(1), height: h.toFixed(1), class: 'bar k-' + key }, svg('title', { text: bucketLabel(bucket.start, activity.bucketMs) + ' ' + key + ': ' + count })));
      });
      if (index % every === 0) graphic.appendChild(svg('text', { x: (left + index * slot + slot / 2).toFixed(1), y: height - 6, class: 'tick', 'text-anchor': 'middle', text: bucketLabel(bucket.start, activity.bucketMs) }));
    });
    var legend = el('ul', { class: 'legend' }, series.keys.map(function (key) {
      return el('li', { 'data-series': name, 'data-key': key }, [el('span', { class: 'swatch k-' + key }), key + ' ', el('b', { class: 'total', text: String(activity.totals[name][key]) })]);
    }));
    return section(series.title, [graphic, legend], 'chart-card');
  }
  function refreshActivity() {
    loadPending().catch(function () {});
    return api('GET', '/review/api/activity?range=' + encodeURIComponent(state.range)).then(function (activity) {
      clear(app);
      var ranges = el('div', { class: 'ranges', role: 'group', 'aria-label': 'time range' }, ['24h', '7d', '30d'].map(function (range) {
        return el('button', { type: 'button', 'aria-pressed': range === state.range ? 'true' : 'false', onclick: function () { state.range = range; refreshActivity(); }, text: range });
      }));
      app.appendChild(el('div', { class: 'turn-head' }, [el('h1', { text: 'Activity' }), ranges]));
      app.appendChild(el('div', { class: 'charts' }, [chart('critic', activity), chart('review', activity)]));
      if (activity.truncated) app.appendChild(el('p', { class: 'muted', text: 'The audit log is long: these counts cover its first entries in the range only.' }));
    });
  }

  // ---- Views, live updates, keys ---------------------------------------------------------------
  var refreshers = { queue: refreshQueue, resolved: refreshResolved, turn: refreshTurn, activity: refreshActivity };
  var refreshing = null;
  var again = false;
  function refresh() {
    // One refresh at a time; events during one cause exactly one more.
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = Promise.resolve(refreshers[view]()).catch(function (error) {
      if (error.message !== 'signed out') toast(error.message, 'error');
    }).then(function () {
      refreshing = null;
      if (again) {
        again = false;
        return refresh();
      }
    });
    return refreshing;
  }

  function connect() {
    var source = new EventSource('/review/events');
    source.addEventListener('open', function () {
      live.setAttribute('data-state', 'open');
      live.textContent = 'live';
      // Anything that happened while disconnected.
      refresh();
    });
    source.addEventListener('review', function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (view === 'turn' && event.turnId !== turnId) {
        loadPending().catch(function () {});
        return;
      }
      if (view === 'turn' && state.busy) return;
      refresh();
    });
    source.addEventListener('error', function () {
      live.setAttribute('data-state', source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
      live.textContent = source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting';
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out, server gone): check the session, then try again later.
        api('GET', '/review/api/session').then(function () { setTimeout(connect, 3000); }, function () {});
      }
    });
  }

  function typing(target) {
    return target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable);
  }
  function gotoPending(step) {
    var position = state.pendingIds.indexOf(turnId);
    var next = state.pendingIds[position < 0 ? 0 : position + step];
    if (next) location.href = '/review/turns/' + encodeURIComponent(next);
  }
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector('dialog[open]')) return;
    if (typing(event.target)) {
      if (event.key === 'Escape') event.target.blur();
      return;
    }
    var key = event.key;
    if (key === '?') {
      document.getElementById('help').showModal();
      event.preventDefault();
      return;
    }
    if (view === 'queue' || view === 'resolved') {
      var position = selectedPosition();
      if (key === 'j' || key === 'ArrowDown') selectIndex(position + 1);
      else if (key === 'k' || key === 'ArrowUp') selectIndex(position - 1);
      else if ((key === 'o' || key === 'Enter') && state.selectedId) location.href = '/review/turns/' + encodeURIComponent(state.selectedId);
      else if (view === 'queue' && key === 'a' && state.selectedId) act('approve', state.selectedId);
      else if (view === 'queue' && key === 'r' && state.selectedId) act('reject', state.selectedId);
      else if (view === 'queue' && key === 'e' && state.selectedId) location.href = '/review/turns/' + encodeURIComponent(state.selectedId) + '#edit';
      else return;
      event.preventDefault();
      return;
    }
    if (view === 'turn') {
      var pending = state.turn && state.turn.status === 'pending';
      if (key === 'j') gotoPending(1);
      else if (key === 'k') gotoPending(-1);
      else if (key === 'u' || key === 'Escape') location.href = '/review';
      else if (pending && key === 'a') act('approve');
      else if (pending && key === 'r') act('reject');
      else if (pending && key === 'e') focusEditor();
      else return;
      event.preventDefault();
    }
  });
  document.getElementById('help-toggle').addEventListener('click', function () { document.getElementById('help').showModal(); });
  // Ages tick without a reload.
  setInterval(function () {
    document.querySelectorAll('time.age').forEach(function (node) { node.textContent = age(Number(node.getAttribute('data-at'))); });
  }, 15000);

  // A decision made on the previous page left its confirmation for this one.
  try {
    var carried = sessionStorage.getItem('cs-toast');
    if (carried) {
      sessionStorage.removeItem('cs-toast');
      toast(carried, 'ok');
    }
  } catch (error) { /* no sessionStorage: nothing carried */ }

  refresh();
  connect();
})();
`;
