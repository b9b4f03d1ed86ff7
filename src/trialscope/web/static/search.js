// Optional: apply a filter as soon as it changes. The form works the same without it.
(function () {
  var form = document.getElementById("search-form");
  if (!form) return;
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches('input[type="checkbox"], select')) {
      form.submit();
    }
  });
})();
