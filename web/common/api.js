// JSON over fetch: always resolves to {ok, status, data}; a network failure is status 0.

export async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: { error: "network" } };
  }
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = { error: response.ok ? "" : "internal" };
  }
  return { ok: response.ok, status: response.status, data };
}
