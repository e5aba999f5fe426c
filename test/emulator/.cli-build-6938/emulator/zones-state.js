"use strict";
/**
 * @module
 * The state of zones and what hangs off them (store.ts keeps it): Workers custom domains (per account), a zone's
 * Worker routes, Cloudflare for SaaS custom hostnames and the zone's fallback origin.
 */
Object.defineProperty(exports, "__esModule", { value: true });
