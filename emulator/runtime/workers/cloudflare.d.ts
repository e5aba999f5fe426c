/** The few workerd types the runtime's Workers use (they run in workerd, not Node). */
declare module "cloudflare:workers" {
  export class WorkerEntrypoint<Env = unknown, Props = unknown> {
    protected readonly env: Env;
    protected readonly ctx: { readonly props: Props; readonly exports: Record<string, (o: { props: unknown }) => unknown> };
  }
  export class RpcTarget {}
}
