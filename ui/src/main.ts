// Entry point of the Control UI bundle.
import { App } from "./app.js";
export { registerConfigForm } from "./views/config.js";

const app = new App();
document.body.append(app);
