export function route(pathname, features) {
  if (pathname === "/reports" && features.reports) return new Response("TPS reports: " + features.tps);
  return new Response("Initech", { status: pathname === "/" ? 200 : 404 });
}
