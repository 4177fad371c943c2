// Every page module, imported for its route() registrations; one line per module.
import './login.js';          // ui-core
import './applications.js';   // ui-core
import './app-details.js';    // ui-core (header, conditions, sync/refresh/delete/history dialogs)
import './app-views.js';     // ui-tree (tree, list, network, diff views; resource panel)
import './settings.js';       // ui-settings
import './user-info.js';      // ui-settings
import './app-create.js';     // ui-settings
import './app-params.js';     // ui-settings (the "parameters" app view)
