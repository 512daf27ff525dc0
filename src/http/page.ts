/**
 * The web page served at `/` (issue 9): one self-contained HTML document, inline CSS and JS, no
 * framework and no build step, usable on a phone.
 *
 * - Live view: `/liveview.mjpeg` in an `<img>`; dropped while the tab is hidden (so the camera
 *   stream can stop after its linger, saving the camera's battery) and re-opened after an error.
 * - Shoot, zoom in/out (one step per tap, `cmd/zoom in|out`), shoot mode (options from the state's
 *   `shoot_modes`): `POST /api/cmd/<name>`, the same path as MQTT commands; the result is shown.
 * - The last picture with its capture time, camera and bridge status: `GET /api/state`, polled
 *   every second; the picture reloads when its `taken_at` changes (also for the camera's button).
 * - With token auth the page is opened as `/?token=…` and passes the token on to every URL it
 *   uses; with basic auth the browser sends the credentials by itself.
 *
 * Kept as a string constant (not a file read at run time) so it ships inside `dist/` with the
 * rest of the code. The script avoids template literals so this file needs no escaping.
 */

/** The page's HTML (UTF-8). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<title>qx10-mqtt</title>
<link rel="icon" href="data:,">
<style>
  :root { --bg: #f4f4f5; --card: #fff; --fg: #18181b; --muted: #71717a; --accent: #2563eb;
    --ok: #16a34a; --bad: #dc2626; --border: #e4e4e7; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #09090b; --card: #18181b; --fg: #f4f4f5; --muted: #a1a1aa; --border: #27272a; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    background: var(--bg); color: var(--fg); }
  header { display: flex; align-items: center; gap: .5rem; padding: .6rem 1rem;
    border-bottom: 1px solid var(--border); background: var(--card); }
  header h1 { font-size: 1.05rem; margin: 0; flex: 1; }
  .dot { width: .7rem; height: .7rem; border-radius: 50%; background: var(--muted); display: inline-block; }
  .dot.ok { background: var(--ok); } .dot.bad { background: var(--bad); }
  main { display: grid; gap: 1rem; padding: 1rem; max-width: 1100px; margin: 0 auto;
    grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); }
  @media (max-width: 760px) { main { grid-template-columns: minmax(0, 1fr); padding: .6rem; gap: .6rem; } }
  section { background: var(--card); border: 1px solid var(--border); border-radius: .6rem; padding: .8rem; }
  h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 .5rem; }
  .view { position: relative; background: #000; border-radius: .4rem; overflow: hidden; aspect-ratio: 4 / 3; }
  .view img { width: 100%; height: 100%; object-fit: contain; display: block; }
  .view .note { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
    color: #d4d4d8; font-size: .95rem; pointer-events: none; background: rgba(0, 0, 0, .35); }
  .view .note[hidden] { display: none; }
  .controls { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .7rem; align-items: center; }
  button, select { font: inherit; border-radius: .45rem; border: 1px solid var(--border);
    background: var(--card); color: var(--fg); padding: .55rem .9rem; min-height: 2.75rem; }
  button { cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  button.primary { background: var(--accent); color: #fff; border-color: var(--accent); font-weight: 600;
    flex: 1 1 8rem; }
  select { flex: 1 1 9rem; }
  #result { min-height: 1.4em; margin-top: .5rem; font-size: .9rem; color: var(--muted); overflow-wrap: anywhere; }
  #result.error { color: var(--bad); }
  #picture { width: 100%; border-radius: .4rem; display: block; background: var(--bg); }
  #picture[hidden] { display: none; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .8rem; margin: 0; font-size: .92rem; }
  dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
</style>
</head>
<body>
<header>
  <span id="health" class="dot" title="camera"></span>
  <h1 id="title">qx10-mqtt</h1>
  <span id="zoom" title="zoom position"></span>
</header>
<main>
  <section>
    <h2>Live view</h2>
    <div class="view">
      <img id="live" alt="camera live view">
      <div id="liveNote" class="note">connecting…</div>
    </div>
    <div class="controls">
      <button id="shoot" class="primary" type="button">Shoot</button>
      <button id="zoomOut" type="button" aria-label="zoom out">−</button>
      <button id="zoomIn" type="button" aria-label="zoom in">+</button>
      <select id="mode" aria-label="shoot mode"><option value="">shoot mode</option></select>
    </div>
    <div id="result" role="status"></div>
  </section>
  <section>
    <h2>Last picture</h2>
    <a id="pictureLink" target="_blank" rel="noopener"><img id="picture" alt="last picture" hidden></a>
    <p id="pictureTime">none yet</p>
    <h2>Status</h2>
    <dl>
      <dt>Camera</dt><dd id="sCamera">–</dd>
      <dt>Status</dt><dd id="sStatus">–</dd>
      <dt>Battery</dt><dd id="sBattery">–</dd>
      <dt>Storage</dt><dd id="sStorage">–</dd>
      <dt>MQTT</dt><dd id="sMqtt">–</dd>
      <dt>Live view</dt><dd id="sLive">–</dd>
      <dt>Bridge</dt><dd id="sBridge">–</dd>
    </dl>
  </section>
</main>
<script>
"use strict";
(function () {
  var token = new URLSearchParams(location.search).get("token");
  function u(path) {
    if (!token) return path;
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token);
  }
  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value === null || value === undefined || value === "" ? "–" : String(value); }

  // Live view: the MJPEG stream in an <img>; closed while the tab is hidden.
  var live = $("live"), liveNote = $("liveNote"), retry = 0;
  function openLive() {
    clearTimeout(retry);
    liveNote.textContent = "connecting…";
    liveNote.hidden = false;
    live.src = u("/liveview.mjpeg") + (token ? "&" : "?") + "t=" + Date.now();
  }
  function closeLive() { clearTimeout(retry); live.removeAttribute("src"); }
  live.addEventListener("load", function () { liveNote.hidden = true; });
  live.addEventListener("error", function () {
    if (!live.getAttribute("src")) return;
    liveNote.textContent = "live view unavailable, retrying…";
    liveNote.hidden = false;
    retry = setTimeout(openLive, 2000);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) closeLive(); else openLive();
  });
  // Chromium fires "load" for each MJPEG part; hide the note on the first one anyway.
  setInterval(function () { if (live.complete && live.naturalWidth > 0) liveNote.hidden = true; }, 500);

  // Commands: the same path as <base>/cmd/<name>; the reply is the MQTT result object.
  function setBusy(b) {
    ["shoot", "zoomIn", "zoomOut", "mode"].forEach(function (id) { $(id).disabled = b; });
  }
  function show(msg, isError) {
    var r = $("result");
    r.textContent = msg;
    r.className = isError ? "error" : "";
  }
  function command(name, payload) {
    setBusy(true);
    show(name + "…", false);
    return fetch(u("/api/cmd/" + name), { method: "POST", body: payload || "", credentials: "same-origin" })
      .then(function (res) { return res.json(); })
      .then(function (result) {
        if (result.status === "ok") show(name + ": ok", false);
        else show(name + ": " + result.error + " (" + result.code + ")", true);
        return result;
      })
      .catch(function (e) { show(name + ": " + e, true); return null; })
      .finally(function () { setBusy(false); refresh(); });
  }
  $("shoot").addEventListener("click", function () {
    command("shoot", "").then(function (r) {
      var snap = r && r.data && r.data.snapshot;
      if (snap) showPicture(snap);
    });
  });
  $("zoomIn").addEventListener("click", function () { command("zoom", "in"); });
  $("zoomOut").addEventListener("click", function () { command("zoom", "out"); });
  $("mode").addEventListener("change", function (ev) {
    var v = ev.target.value;
    if (v) command("shoot_mode", v);
  });

  // The last picture: reloaded when its capture time changes.
  var pictureKey = null;
  function showPicture(p) {
    var key = p.taken_at + " " + p.url;
    if (key === pictureKey) return;
    pictureKey = key;
    var src = u("/picture.jpg") + (token ? "&" : "?") + "v=" + encodeURIComponent(p.taken_at);
    var img = $("picture");
    img.src = src;
    img.hidden = false;
    $("pictureLink").href = src;
    var when = new Date(p.taken_at);
    $("pictureTime").textContent = "taken " + when.toLocaleString() +
      (p.width ? " · " + p.width + "×" + p.height : "") + " · " + p.filename;
    $("pictureTime").dataset.takenAt = p.taken_at;
  }

  // State and status, every second.
  var modesKey = "";
  function render(s) {
    var st = s.state, b = s.status;
    $("health").className = "dot " + (b.camera_online ? "ok" : "bad");
    $("health").title = b.camera_online ? "camera online" : "camera offline";
    text("title", b.camera_model || "qx10-mqtt");
    $("zoom").textContent = st.zoom_position === null ? "" : "zoom " + st.zoom_position + "%";
    text("sCamera", b.camera_online ? "online" + (b.camera_model ? " (" + b.camera_model + ")" : "") : "offline");
    text("sStatus", st.camera_status);
    text("sBattery", typeof st.battery === "number" ? st.battery + " %" : null);
    var sto = st.storage;
    text("sStorage", !sto ? null : typeof sto.recordable_images === "number" && sto.recordable_images >= 0
      ? sto.recordable_images + " pictures left" + (sto.id ? " (" + sto.id + ")" : "")
      : (sto.id || "no card"));
    text("sMqtt", b.mqtt_connected ? "connected" : "disconnected");
    text("sLive", (b.liveview_streaming ? "streaming" : "stopped") + ", " + s.viewers + " viewer(s)");
    text("sBridge", "qx10-mqtt " + b.version);
    var modes = Array.isArray(st.shoot_modes) ? st.shoot_modes : [];
    var key = modes.join("|") + "#" + st.shoot_mode;
    if (key !== modesKey) {
      modesKey = key;
      var sel = $("mode");
      sel.textContent = "";
      if (modes.length === 0) {
        var none = document.createElement("option");
        none.value = ""; none.textContent = "shoot mode";
        sel.appendChild(none);
      }
      modes.forEach(function (m) {
        var o = document.createElement("option");
        o.value = m; o.textContent = m; o.selected = m === st.shoot_mode;
        sel.appendChild(o);
      });
    }
    if (s.picture) showPicture(s.picture);
  }
  var pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    fetch(u("/api/state"), { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.json(); })
      .then(render)
      .catch(function () { $("health").className = "dot bad"; $("health").title = "bridge unreachable"; })
      .finally(function () { pending = false; });
  }
  setInterval(function () { if (!document.hidden) refresh(); }, 1000);
  refresh();
  if (!document.hidden) openLive();
})();
</script>
</body>
</html>
`;
