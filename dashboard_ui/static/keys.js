(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.__kpiKeys) return;
  doc.__kpiKeys = true;
  const press = (key) => {
    const target = doc.querySelector('.st-key-' + key + ' button, .st-key-' + key + ' a');
    if (target) { target.click(); return true; }
    return false;
  };
  // Enter in a date field applies the typed date. Streamlit 1.6x's field is three contenteditable segments (year,
  // month, day) that apply on a press outside the field (a plain blur() does not), and their own key handling
  // swallows Enter: so, in the capture phase, Enter presses outside on the page's main area, then blurs.
  doc.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.key !== 'Enter' || !t || !t.closest || !t.closest('[data-testid="stDateInput"]')) return;
    const outside = doc.querySelector('[data-testid="stMain"]') || doc.body;
    const view = doc.defaultView;
    for (const kind of ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click']) {
      const Kind = kind.startsWith('pointer') ? view.PointerEvent : view.MouseEvent;
      outside.dispatchEvent(new Kind(kind, {bubbles: true, cancelable: true, view: view}));
    }
    t.blur();
  }, true);
  doc.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (t && (['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.isContentEditable)) return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    let done = false;
    if (['ArrowRight', 'PageDown', ' '].includes(ev.key)) done = press('meeting_next');
    else if (['ArrowLeft', 'PageUp'].includes(ev.key)) done = press('meeting_prev');
    else if (ev.key === 'Escape') done = press('meeting_exit');
    if (done) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);
  // Space on a focused button would also click it when released: the keydown above already moved the slide.
  doc.addEventListener('keyup', (ev) => {
    if (ev.key === ' ' && doc.querySelector('.st-key-meeting_next')) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);
})();
