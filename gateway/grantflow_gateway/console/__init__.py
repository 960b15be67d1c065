"""The web console: server-rendered pages for applicants, experts and funders, in Russian and
English, served by the gateway. Every page calls the services through the gateway's own API
(`Api.invoke`), so a page can show or do exactly what the caller's token allows over HTTP."""
