// Extension points of the application details page: views of the app's resources (tree,
// list, network, diff, parameters...) and the resource side panel.

const views = [];
const viewListeners = [];
let resourcePanel = null;

/** Add a view: {id, label, icon, render(app, ctx) -> Element}; later ids replace earlier. */
export function registerAppView(view) {
  const i = views.findIndex((v) => v.id === view.id);
  if (i >= 0) views.splice(i, 1, view);
  else views.push(view);
  for (const fn of viewListeners) fn();
}

/** The registered views in registration order. */
export function appViews() {
  return views.slice();
}

/** Called when a view is registered (the details page re-renders its toggles). */
export function onViewsChanged(fn) {
  viewListeners.push(fn);
  return () => viewListeners.splice(viewListeners.indexOf(fn), 1);
}

/** Set the function opening a resource's side panel: fn(app, resourceRef, ctx). */
export function registerResourcePanel(fn) {
  resourcePanel = fn;
}

/** The registered resource panel opener, or null. */
export function resourcePanelOpener() {
  return resourcePanel;
}
