// A stand-in for the audience measurement on the demo page (exempt, with an opt-out):
// it keeps an anonymous identifier in local storage, as the manifest declares.
(function () {
  localStorage.setItem("gardien_vid", JSON.stringify({ id: "demo", since: Date.now() }));
  window.demoAudienceLoaded = true;
})();
