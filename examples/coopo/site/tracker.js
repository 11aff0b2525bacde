// A stand-in for Brevo's tracker on the demo page: it only runs once the visitor has
// granted "brevo_tracking", and sets the two cookies the manifest declares for it.
(function () {
  var month = 30 * 24 * 3600;
  document.cookie = "sib_cuid=demo-" + Date.now() + "; Max-Age=" + 6 * month + "; Path=/; SameSite=Lax";
  document.cookie = "uuid=demo-" + Date.now() + "; Max-Age=" + 13 * month + "; Path=/; SameSite=Lax";
  window.demoTrackerLoaded = true;
})();
