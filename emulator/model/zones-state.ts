/**
 * @module
 * The state of zones and what hangs off them (store.ts keeps it): Workers custom domains (per account), a zone's
 * Worker routes, Cloudflare for SaaS custom hostnames and the zone's fallback origin.
 */

/** A Workers custom domain: a hostname of one of the account's zones served by an account-level Worker. */
export interface WorkerDomain {
  id: string;
  hostname: string;
  service: string;
  environment: string;
  zone_id: string;
  zone_name: string;
  cert_id: string;
}

/** A zone's Worker route: requests matching `pattern` run `script` (none: the route turns Workers off). */
export interface WorkerRoute {
  id: string;
  pattern: string;
  script?: string;
}

/** A Cloudflare for SaaS custom hostname; validation moves along only through the operator endpoint. */
export interface CustomHostnameRecord {
  id: string;
  hostname: string;
  status: "pending" | "active";
  created_at: string;
  ssl: { id: string; method: string; type: string; status: "pending_validation" | "active"; settings: Record<string, unknown> };
  /** The TXT value proving ownership, and the HTTP/TXT token of certificate validation. */
  ownership_token: string;
  dcv_token: string;
  custom_metadata?: Record<string, string>;
  custom_origin_server?: string;
  custom_origin_sni?: string;
}

export interface FallbackOriginRecord {
  origin: string;
  status: "active";
  created_at: string;
  updated_at: string;
}

export interface Zone {
  id: string;
  name: string;
  account: string;
  created_on: string;
  modified_on: string;
  routes: Record<string, WorkerRoute>;
  custom_hostnames: Record<string, CustomHostnameRecord>;
  fallback_origin?: FallbackOriginRecord;
}
