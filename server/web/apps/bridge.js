// The view's side of MCP Apps (io.modelcontextprotocol/ui, 2026-01-26):
// JSON-RPC 2.0 over postMessage with the host. The view initializes, then the
// host sends the tool's input and result; the view may call read-only tools
// through the host and ask it to open a link. Nothing here reaches the network.
const mcpApp = (() => {
  "use strict";
  const handlers = new Map();
  const pending = new Map();
  let nextID = 1;
  let hostContext = {};

  const post = (msg) => window.parent.postMessage(msg, "*");

  function request(method, params) {
    const id = nextID++;
    post({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  }

  function notify(method, params) {
    post({ jsonrpc: "2.0", method, params });
  }

  function applyHostContext(ctx) {
    hostContext = Object.assign(hostContext, ctx || {});
    const root = document.documentElement;
    if (hostContext.theme === "dark" || hostContext.theme === "light") {
      root.style.colorScheme = hostContext.theme;
    }
    const vars = (hostContext.styles && hostContext.styles.variables) || {};
    for (const [name, value] of Object.entries(vars)) {
      if (name.startsWith("--") && typeof value === "string") root.style.setProperty(name, value);
    }
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const msg = event.data;
    if (!msg || msg.jsonrpc !== "2.0") return;
    if (msg.method === undefined) {
      const waiter = pending.get(msg.id);
      if (!waiter) return;
      pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(msg.error.message || "request failed"));
      else waiter.resolve(msg.result);
      return;
    }
    if (msg.method === "ui/resource-teardown") {
      post({ jsonrpc: "2.0", id: msg.id, result: {} });
      return;
    }
    if (msg.method === "ui/notifications/host-context-changed") {
      applyHostContext(msg.params);
      return;
    }
    const handler = handlers.get(msg.method);
    if (handler) handler(msg.params || {});
    else if (msg.id !== undefined) {
      post({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "method not found" } });
    }
  });

  function reportSize() {
    const el = document.documentElement;
    notify("ui/notifications/size-changed", { width: el.scrollWidth, height: el.scrollHeight });
  }

  return {
    // on registers the handler of a host notification, e.g.
    // ui/notifications/tool-result.
    on(method, fn) { handlers.set(method, fn); },
    // start runs the ui/initialize handshake.
    async start(name, version) {
      const result = await request("ui/initialize", {
        protocolVersion: CONFIG.appsVersion,
        appInfo: { name, version },
        appCapabilities: { availableDisplayModes: ["inline"] },
      });
      applyHostContext((result && result.hostContext) || {});
      notify("ui/notifications/initialized", {});
      if (typeof ResizeObserver === "function") new ResizeObserver(reportSize).observe(document.body);
      return result;
    },
    // callTool asks the host to call one of this server's tools; its result
    // is the tool's CallToolResult.
    callTool(name, args) { return request("tools/call", { name, arguments: args }); },
    // openLink asks the host to open url in the user's browser.
    openLink(url) { return request("ui/open-link", { url }); },
  };
})();

// el builds an element; text is always set as text, never parsed as HTML.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// structuredOf is a tool result's structured content, or its first text item
// parsed as JSON.
function structuredOf(result) {
  if (!result) return null;
  if (result.structuredContent) return result.structuredContent;
  const text = (result.content || []).find((c) => c && c.type === "text");
  if (!text) return null;
  try { return JSON.parse(text.text); } catch (_) { return null; }
}
