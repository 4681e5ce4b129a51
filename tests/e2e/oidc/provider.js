// A real OpenID Connect provider for the web app's sign-in test (tests/e2e/test_web.py), run with
// node. Its development login form accepts any login: the login is the account's e-mail address,
// and warroom maps that to a roster person. Authorization code with PKCE only.
//   PORT=… REDIRECT_URI=http://127.0.0.1:…/signin/oidc/callback CLIENT_SECRET=… node provider.js
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: "warroom",
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  conformIdTokenClaims: false, // the ID token carries the e-mail, as most providers' do
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true }),
  }),
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [process.env.CLIENT_SECRET] },
});
provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));
