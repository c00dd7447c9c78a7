/**
 * The chat page's browser script, served as /assets/chat.js (no build step: plain ES2020 that
 * every current browser runs). It keeps no secret in the URL: a conversation's id is in the
 * fragment (so a reload finds it), its token only in this browser's localStorage, both made
 * with crypto.getRandomValues. Message text reaches the page only as text nodes. It is kept
 * free of template literals and backslash escapes so it can live in this TypeScript string.
 */
export const CHAT_SCRIPT = `
(function () {
  'use strict';
  var ID = /^[A-Za-z0-9._-]{1,128}$/;
  var STORE = 'countersign:conversation:';
  var log = document.getElementById('log');
  var status = document.getElementById('status');
  var earlier = document.getElementById('earlier');
  var input = document.getElementById('text');
  var form = document.getElementById('form');
  var label = document.getElementById('conversation');

  // ---- ids and tokens from a cryptographic source ---------------------------------------
  function random(bytes) {
    var values = crypto.getRandomValues(new Uint8Array(bytes));
    var binary = '';
    for (var i = 0; i < values.length; i++) binary += String.fromCharCode(values[i]);
    return btoa(binary).split('+').join('-').split('/').join('_').split('=').join('');
  }
  var memory = {};
  var storage = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (error) { return memory[key] || null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); } catch (error) { memory[key] = value; }
    },
  };

  var id = location.hash.slice(1);
  var token = ID.test(id) ? storage.get(STORE + id) : null;
  var notice = '';
  if (!token) {
    if (id) notice = 'The conversation in that link was started in another browser; this is a new one.';
    id = 'web-' + random(16);
    token = random(24);
    storage.set(STORE + id, token);
    history.replaceState(null, '', '#' + id);
  }
  label.textContent = 'conversation ' + id;
  var api = '/api/chat/' + encodeURIComponent(id) + '/messages';
  var headers = { 'x-conversation-token': token };

  // ---- the transcript, one page at a time -------------------------------------------------
  var shown = {};
  var older = null;
  var loadedFirstPage = false;
  var loadingEarlier = false;

  function bubble(message) {
    var div = document.createElement('div');
    div.className = 'message ' + (message.role === 'user' ? 'user' : 'bot');
    div.textContent = message.text;
    shown[message.id] = div;
    return div;
  }
  function setStatus(text, kind) {
    status.className = kind || '';
    status.textContent = text;
  }
  function showEarlierButton() {
    earlier.hidden = !older;
  }
  async function getPage(url) {
    var response = await fetch(url, { headers: headers, cache: 'no-store' });
    if (response.status === 404) return null; // nothing posted yet
    if (!response.ok) throw new Error('error ' + response.status);
    return response.json();
  }
  async function refresh() {
    try {
      var data = await getPage(api);
      if (!data) return;
      var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
      data.messages.forEach(function (message) {
        if (!shown[message.id]) log.appendChild(bubble(message));
      });
      if (!loadedFirstPage) {
        loadedFirstPage = true;
        older = data.previous;
        showEarlierButton();
        nearBottom = true;
      }
      if (nearBottom) log.scrollTop = log.scrollHeight;
      if (!notice || data.state !== 'idle') {
        setStatus(data.state === 'held' ? 'A reply is waiting for review by a human.' : data.state === 'working' ? 'Drafting and reviewing a reply…' : '', data.state);
      }
    } catch (error) {}
  }
  async function loadEarlier() {
    if (!older || loadingEarlier) return;
    loadingEarlier = true;
    try {
      var data = await getPage(older);
      if (!data) return;
      var before = log.scrollHeight;
      var first = log.firstChild;
      data.messages.forEach(function (message) {
        if (!shown[message.id]) log.insertBefore(bubble(message), first);
      });
      // Keep the message the reader was looking at where it was.
      log.scrollTop += log.scrollHeight - before;
      older = data.previous;
      showEarlierButton();
    } catch (error) {
      setStatus('Could not load earlier messages.', 'error');
    } finally {
      loadingEarlier = false;
    }
  }

  // ---- sending --------------------------------------------------------------------------
  async function send(text) {
    try {
      var response = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-conversation-token': token },
        body: JSON.stringify({ text: text, user: 'you' }),
      });
      if (!response.ok) {
        var body = await response.json().catch(function () { return {}; });
        setStatus(body.error || 'error ' + response.status, 'error');
        if (!input.value) input.value = text;
        return;
      }
      notice = '';
    } catch (error) {
      setStatus('Could not send: the connection failed.', 'error');
      if (!input.value) input.value = text;
      return;
    }
    refresh();
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    input.value = '';
    if (text) send(text);
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll('.example'), function (button) {
    button.addEventListener('click', function () { send(button.textContent); });
  });
  earlier.addEventListener('click', loadEarlier);
  log.addEventListener('scroll', function () {
    if (log.scrollTop < 40) loadEarlier();
  });

  if (notice) setStatus(notice, 'notice');
  refresh();
  setInterval(refresh, 1000);
})();
`;
