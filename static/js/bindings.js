// Web Notifications tab: choosing another endpoint reloads the form with that
// endpoint's parameters (the "Load the endpoint's parameters" button, which also
// works without JavaScript). Nothing is saved by the reload.
(function () {
  "use strict";

  var form = document.getElementById("binding-form");
  var select = document.getElementById("id_endpoint");
  var refresh = document.getElementById("refresh-parameters");
  if (!form || !select || !refresh) {
    return;
  }
  select.addEventListener("change", function () {
    refresh.click();
  });
})();
