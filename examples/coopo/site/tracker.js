// A stand-in for Brevo's tracker on the demo page: it only runs once the visitor has
// granted "brevo_tracking", and sets the two cookies the manifest declares for it.
// Like a well-behaved tracker, it never extends a cookie it already set.
(function () {
  var month = 30 * 24 * 3600;
  function set(name, months) {
    if (document.cookie.split("; ").some(function (c) { return c.indexOf(name + "=") === 0; })) return;
    document.cookie = name + "=demo-" + Date.now() + "; Max-Age=" + months * month + "; Path=/; SameSite=Lax";
  }
  set("sib_cuid", 6);
  set("uuid", 13);
  window.demoTrackerLoaded = true;
})();
