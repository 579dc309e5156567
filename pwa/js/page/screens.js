// The screens loaded on demand, after the first render (main.js imports this module with
// import(), so the build makes it one chunk). A new screen: export it here and route to it
// in main.js.

export { detailScreen } from "./screens/detail.js";
export { formScreen } from "./screens/form.js";
export { listScreen } from "./screens/list.js";
export { settingsScreen } from "./screens/settings.js";
export { syncScreen } from "./screens/synccentre.js";
