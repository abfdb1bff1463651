// Live word count for the entry statement; the server enforces the limit either way.
(function () {
  var area = document.getElementById('field-statement');
  var out = document.getElementById('word-count');
  if (!area || !out) return;
  var min = Number(area.getAttribute('data-min-words'));
  var max = Number(area.getAttribute('data-max-words'));
  function update() {
    var text = area.value.trim();
    var words = text ? text.split(/\s+/).length : 0;
    out.textContent = words + ' of ' + min + '–' + max + ' words' + (words > max ? ': too long' : words < min ? '' : '');
  }
  area.addEventListener('input', update);
  update();
})();
