// Every page module, imported for its route() registrations; one line per module.
import './login.js';          // ui-core
import './applications.js';   // ui-core
import './app-details.js';    // ui-core (header, conditions, sync/refresh/delete/history dialogs)
import './app-views.js';     // ui-tree (tree, list, network, diff views; resource panel)
