// /applications: placeholder until the list lands.
import {h, replace} from '../dom.js';
import {route} from '../router.js';

route('/applications', (_params, _query, outlet) => {
  replace(outlet, h('h1', {}, 'Applications'));
});
