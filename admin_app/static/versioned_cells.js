// In-list editing is versioned (admin_app/views/versions.py): each editable cell carries its row's
// version in data-version. This sends it with the cell's save, takes the new version from the answer
// for every cell of that row, and when the save is refused (409: someone saved the row meanwhile)
// puts the stored value back in the cell; x-editable shows the answer's message under it.
(function ($) {
  if (!$) { return; }
  function cells(pk) {
    return $('[data-role^="x-editable"]').filter(function () { return String($(this).attr('data-pk')) === String(pk); });
  }
  function isCellSave(options) {
    var data = options.data;
    return typeof data === 'object' && data !== null && 'list_form_pk' in data && /ajax\/update\/?$/.test(options.url || '');
  }
  $.ajaxPrefilter(function (options, original) {
    if (!isCellSave(original)) { return; }
    var version = cells(original.data.list_form_pk).first().attr('data-version');
    if (version !== undefined) {
      options.data = (options.data ? options.data + '&' : '') + 'version=' + encodeURIComponent(version);
    }
  });
  $(document).ajaxComplete(function (event, xhr, options) {
    // jQuery hands the global handlers the settings, whose data is already a string: read the pk from it.
    var match = /(?:^|&)list_form_pk=([^&]*)/.exec(typeof options.data === 'string' ? options.data : '');
    var version = xhr.getResponseHeader('X-Version');
    if (!match || version === null) { return; }
    var pk = decodeURIComponent(match[1].replace(/\+/g, ' '));
    var row = cells(pk);
    row.attr('data-version', version);
    var stored = xhr.getResponseHeader('X-Stored-Value');
    if (xhr.status === 409 && stored !== null) {
      row.each(function () {
        var $cell = $(this);
        var name = $cell.attr('name');
        if (name && new RegExp('(?:^|&)' + name + '=').test(options.data)) {
          $cell.editable('setValue', decodeURIComponent(stored), true);
        }
      });
    }
  });
})(window.jQuery);
