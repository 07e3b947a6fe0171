// A list cell cut short by the CSS (text-overflow: ellipsis) shows its whole text as a tooltip.
document.querySelectorAll("table.model-list td").forEach(function (cell) {
  if (cell.scrollWidth > cell.clientWidth && !cell.title) {
    cell.title = cell.textContent.trim().replace(/\s+/g, " ");
  }
});
