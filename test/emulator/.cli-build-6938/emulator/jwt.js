"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TokenSigner = void 0;
const ISSUER = "wfp-emulator";
// jose is ESM-only; a dynamic import works from this CommonJS package under Node and under vitest alike.
let josePromise;
function jose() {
    josePromise ??= import("jose");
    return josePromise;
}
class TokenSigner {
    ttlSeconds;
    now;
    key;
    constructor(secret, ttlSeconds, now = Date.now) {
        this.ttlSeconds = ttlSeconds;
        this.now = now;
        this.key = new Uint8Array(secret);
    }
    async sign(claims) {
        const { SignJWT } = await jose();
        const iat = Math.floor(this.now() / 1000);
        const exp = iat + this.ttlSeconds;
        const jwt = await new SignJWT({
            acc: claims.account,
            ns: claims.containerId,
            nsn: claims.namespaceName,
            scr: claims.script,
            sid: claims.sessionId,
        })
            .setProtectedHeader({ alg: "HS256", typ: "JWT" })
            .setIssuer(ISSUER)
            .setSubject(claims.kind)
            .setIssuedAt(iat)
            .setExpirationTime(exp)
            .sign(this.key);
        return { jwt, exp };
    }
    async verify(token) {
        const { jwtVerify, errors } = await jose();
        try {
            const { payload } = await jwtVerify(token, this.key, {
                issuer: ISSUER,
                algorithms: ["HS256"],
                currentDate: new Date(this.now()),
            });
            const kind = payload.sub;
            if ((kind !== "session" && kind !== "completion") || typeof payload.exp !== "number")
                return { ok: false, reason: "invalid" };
            for (const k of ["acc", "ns", "nsn", "scr", "sid"])
                if (typeof payload[k] !== "string")
                    return { ok: false, reason: "invalid" };
            return {
                ok: true,
                claims: {
                    kind,
                    account: payload.acc,
                    containerId: payload.ns,
                    namespaceName: payload.nsn,
                    script: payload.scr,
                    sessionId: payload.sid,
                    exp: payload.exp,
                },
            };
        }
        catch (err) {
            if (err instanceof errors.JWTExpired)
                return { ok: false, reason: "expired" };
            return { ok: false, reason: "invalid" };
        }
    }
}
exports.TokenSigner = TokenSigner;
