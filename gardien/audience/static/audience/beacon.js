/* Gardien audience beacon; its contract is docs/audience.md ("Beacon").
   Loaded by the banner (gardien.js) only once the audience purpose is granted, with the
   configuration's "audience" object on its own <script> element; that object's `on` turns
   false the moment the visitor objects, and nothing is sent afterwards. */
(() => {
  "use strict";
  const a = document.currentScript && document.currentScript.gardien;
  if (!a) return;
  const loc = location;
  let last; // the path of the last view sent: one view per page, not per history entry

  // A random identifier, never extended: replaced once its lifetime from creation is over.
  function visitor() {
    const v = a.visitor;
    const now = Math.floor(Date.now() / 1000);
    if (!v) return null;
    try {
      let o = JSON.parse(localStorage.getItem(v.key)) || {};
      const age = now - o.created; // NaN unless a number: replaced
      if (!(age >= 0 && age < v.days * 86400 && /^[\w-]{22}$/.test(o.id))) {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        const id = btoa(String.fromCharCode(...bytes)).slice(0, 22);
        o = { id: id.replace(/\+/g, "-").replace(/\//g, "_"), created: now };
        localStorage.setItem(v.key, JSON.stringify(o));
      }
      return o.id;
    } catch {
      return null; // storage blocked: a visit counted without a visitor
    }
  }

  function view() {
    const path = loc.pathname;
    if (!a.on || path === last) return;
    // Only the referring site's origin leaves the page (the server keeps its host alone);
    // after a same-document navigation the site itself, as for a link.
    const ref = document.referrer;
    const referrer = last ? loc.origin : ref && new URL(ref).origin;
    last = path;
    const kept = new URLSearchParams();
    for (const [k, v] of new URLSearchParams(loc.search)) if (a.query.includes(k)) kept.append(k, v);
    const query = kept.toString();
    const w = innerWidth;
    const body = {
      url: loc.origin + path + (query && "?" + query),
      referrer,
      screen: w < 640 ? "mobile" : w < 1024 ? "tablet" : "desktop",
      lang: (/^[a-z]{2}\b/i.exec(navigator.language) || [""])[0].toLowerCase(),
      visitor: visitor(),
    };
    fetch(a.api, {
      method: "POST",
      keepalive: true,
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).catch(() => {}); // a view lost, nothing retried (429 included)
  }

  // Single-page sites: a view when the path changes without a page load.
  for (const m of ["pushState", "replaceState"]) {
    const f = history[m];
    history[m] = function () {
      const r = f.apply(this, arguments);
      view();
      return r;
    };
  }
  addEventListener("popstate", view);
  view();
})();
