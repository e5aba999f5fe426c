/** The few workerd types the runtime's Workers use (they run in workerd, not Node). */
declare module "cloudflare:workers" {
  export class WorkerEntrypoint<Env = unknown, Props = unknown> {
    protected readonly env: Env;
    protected readonly ctx: { readonly props: Props; readonly exports: Record<string, (o: { props: unknown }) => unknown> };
  }
  export class RpcTarget {}
  export class DurableObject<Env = unknown> {
    protected readonly env: Env;
    protected readonly ctx: {
      readonly exports: Record<string, (o: { props: unknown }) => unknown>;
      readonly facets: {
        get(name: string, start: () => { class: unknown }): Record<string, (...a: unknown[]) => Promise<unknown>>;
        abort(name: string, reason: unknown): void;
      };
    };
  }
}
