// /applications/:ns/:name: placeholder until the details page lands.
import {h, replace} from '../dom.js';
import {route} from '../router.js';

route('/applications/:ns/:name', (params, _query, outlet) => {
  replace(outlet, h('h1', {}, params.name));
});
