// Camera scanning with html5-qrcode (npm, pinned by package-lock.json, served from this server).
(function () {
  var button = document.getElementById("scan-button");
  if (!button || typeof Html5Qrcode === "undefined") { return; }
  var reader = document.getElementById("reader");
  var scanner = null;
  button.addEventListener("click", function () {
    reader.hidden = false;
    scanner = scanner || new Html5Qrcode("reader");
    scanner.start({ facingMode: "environment" }, { fps: 10, qrbox: 250 }, function (text) {
      // A QR code may carry a /v/<code> URL or the bare 20-digit code.
      var match = /(\d{20})/.exec(text);
      if (!match) { return; }
      scanner.stop();
      document.getElementById("code").value = match[1];
      document.getElementById("verify-form").submit();
    }).catch(function (err) { reader.textContent = String(err); });
  });
})();
