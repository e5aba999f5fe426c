/**
 * @module
 * Loads an uploaded Worker with the Worker Loader and reports its handlers, or the startup error. The probe module
 * imports the main module, so a syntax error or a throw at startup fails the load. A service-worker script (which
 * the loader cannot run as such) is loaded as a CommonJS module, sloppy like a script, after a module that records
 * the events it listens to: its parse and its top level run as workerd would run them.
 */
import { loaderModules, type WireModule, type WorkerLoader } from "./internal.mjs";

const PROBE = "__wfp_probe.js";
const LISTENERS = "__wfp_listeners.js";
const HANDLERS = ["fetch", "scheduled", "queue", "tail", "email", "trace", "alarm"];

/** The probe's source: it reports the main module's handlers. */
export function probeSource(mainModule: string): string {
  return `import * as m from ${JSON.stringify(`./${mainModule}`)};
const H = ${JSON.stringify(HANDLERS)};
export default { fetch() {
  const d = m.default;
  const handlers = [];
  if (typeof d === "function") handlers.push("class");
  else if (d && typeof d === "object") for (const k of H) if (typeof d[k] === "function") handlers.push(k);
  for (const [k, v] of Object.entries(m)) if (k !== "default" && typeof v === "function") handlers.push(k);
  return Response.json({ handlers });
} };`;
}

/** The probe of a service-worker script: the events its top level listens to. */
function serviceWorkerProbe(mainModule: string): Record<string, unknown> {
  return {
    [LISTENERS]: { js: "export const events = []; globalThis.addEventListener = (type) => { events.push(String(type)); };" },
    [PROBE]: {
      js: `import { events } from "./${LISTENERS}";\nimport ${JSON.stringify(`./${mainModule}`)};\nexport default { fetch() { return Response.json({ handlers: events }); } };`,
    },
  };
}

interface Payload {
  id: string;
  modules: Record<string, WireModule>;
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** The main module is a service-worker script (sent as a CommonJS module). */
  serviceWorker?: boolean;
}

export default {
  async fetch(request: Request, env: { LOADER: WorkerLoader }): Promise<Response> {
    const { id, modules, mainModule, compatibilityDate, compatibilityFlags, serviceWorker } = (await request.json()) as Payload;
    const all = loaderModules(modules);
    if (serviceWorker) Object.assign(all, serviceWorkerProbe(mainModule));
    else all[PROBE] = { js: probeSource(mainModule) };
    const worker = env.LOADER.get(id, () => ({
      compatibilityDate,
      compatibilityFlags,
      mainModule: PROBE,
      modules: all,
      globalOutbound: null,
    }));
    try {
      const r = await worker.getEntrypoint().fetch("http://validate/");
      return new Response(await r.text(), { status: 200 });
    } catch (e) {
      return Response.json({ error: String((e as Error)?.message ?? e) });
    }
  },
};
