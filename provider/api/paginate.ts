import type { ApiRequest, CloudflareApi } from "./client";

/** Upper bound on pages followed, so a server that keeps answering with a cursor cannot loop us forever. */
const MAX_PAGES = 10_000;

/** Every item of a cursor-paginated list (`result_info.cursor`), page after page. */
export async function paginate<T>(api: CloudflareApi, request: ApiRequest, pageSize = 1000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.send<T[] | null>({ ...request, query: { ...request.query, limit: pageSize, cursor } });
    const batch = res.result ?? [];
    items.push(...batch);
    const next = res.resultInfo?.cursor;
    if (typeof next !== "string" || next === "" || batch.length === 0) break;
    cursor = next;
  }
  return items;
}
