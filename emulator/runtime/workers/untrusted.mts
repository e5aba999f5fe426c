/**
 * @module
 * Imported first by a user Worker of an untrusted dispatch namespace (`trusted_workers: false`, the default), as
 * Cloudflare runs those: `request.cf` is undefined (on every Request of the isolate, copies included) and
 * `caches.default` is disabled (reading it throws, naming why [I]). A trusted namespace's Workers get neither change.
 */
Object.defineProperty(Request.prototype, "cf", { get: () => undefined, configurable: false });
Object.defineProperty(caches, "default", {
  get() {
    throw new Error("caches.default is disabled in an untrusted dispatch namespace (trusted_workers: false)");
  },
  configurable: false,
});
