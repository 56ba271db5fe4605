// Loaded with `node --import` into a CLI run by a test: on exit, the process says whether it
// loaded @kubernetes/client-node, so a test can tell which kubeconfigs need the library.
import { registerHooks } from 'node:module';

let loaded = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === '@kubernetes/client-node' || specifier.startsWith('@kubernetes/client-node/'))
      loaded = true;
    return nextResolve(specifier, context);
  },
});
process.on('exit', () => {
  process.stderr.write(`client-node-loaded ${loaded}\n`);
});
