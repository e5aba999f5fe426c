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
