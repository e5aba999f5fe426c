/**
 * The JSON shapes of the API's answers that both halves spell out: the envelope every answer comes in, and the
 * objects of the API areas both serve and read. Field names are the API's (snake_case), checked against the
 * `cloudflare` SDK's response types.
 */

/** One error of an envelope; `error_chain` holds the causes (6003 wraps 6111). */
export interface ErrorItem {
  code: number;
  message: string;
  error_chain?: ErrorItem[];
}

/** Every answer's body: `success` with `result` (and `result_info` on lists), or `errors`. */
export interface Envelope<T> {
  success: boolean;
  errors: ErrorItem[];
  messages: unknown[];
  result: T;
  result_info?: Record<string, unknown>;
}

/** A dispatch namespace (API operations "Get dispatch namespace", "List dispatch namespaces"). */
export interface NamespaceObject {
  namespace_id: string;
  namespace_name: string;
  script_count?: number;
  trusted_workers?: boolean;
  created_on?: string;
  created_by?: string;
  modified_on?: string;
  modified_by?: string;
}

/** A Workers KV namespace (API operations "Get a Namespace", "List Namespaces"). */
export interface KvNamespaceObject {
  id: string;
  title: string;
  supports_url_encoding?: boolean;
}

/** A zone (API operation "Zone Details"). */
export interface ZoneObject {
  id: string;
  name: string;
}

/** A Workers custom domain (API operation "Get a Domain"). */
export interface DomainObject {
  id: string;
  hostname: string;
  service: string;
  environment?: string;
  zone_id: string;
  zone_name: string;
}

/** A zone's Worker route (API operation "Get Route"). */
export interface RouteObject {
  id: string;
  pattern: string;
  script?: string;
}

/** How to prove control of a custom hostname for its certificate: a TXT record, an HTTP file or emails. */
export interface ValidationRecord {
  txt_name?: string;
  txt_value?: string;
  http_url?: string;
  http_body?: string;
  emails?: string[];
}

/** A Cloudflare for SaaS custom hostname (API operation "Custom Hostname Details"). */
export interface CustomHostnameObject {
  id: string;
  hostname: string;
  status?: string;
  ssl?: { method?: string; type?: string; status?: string; validation_records?: ValidationRecord[] };
  ownership_verification?: { type?: string; name?: string; value?: string };
  custom_metadata?: Record<string, string>;
  custom_origin_server?: string;
}

/** A D1 database (API operation "Get D1 Database"); the list leaves out `file_size` and `num_tables`. */
export interface D1DatabaseObject {
  uuid: string;
  name: string;
  created_at: string;
  version: string;
  jurisdiction: string | null;
  file_size?: number;
  num_tables?: number;
  read_replication?: { mode: string };
}

/** One statement's answer of D1's `/query` (`results` are row objects) or `/raw` (`{columns, rows}`). */
export interface D1QueryResult {
  results: unknown;
  meta: Record<string, unknown>;
  success: boolean;
}

/** An R2 bucket (API operation "Get Bucket"). */
export interface R2BucketObject {
  name: string;
  creation_date: string;
  location?: string;
  jurisdiction?: string;
  storage_class?: string;
}
