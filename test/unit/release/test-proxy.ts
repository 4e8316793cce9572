// A tiny HTTP proxy for tests on 127.0.0.1: forwards absolute-URL requests (plain http) and tunnels CONNECT (https),
// recording what it was asked and the Proxy-Authorization it saw.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export class TestProxy {
  readonly forwarded: string[] = [];
  readonly tunnels: string[] = [];
  readonly authorizations: (string | undefined)[] = [];
  /** When set, CONNECT is answered with this status instead of a tunnel. */
  refuseConnectWith: number | undefined;
  url = '';
  #sockets = new Set<net.Socket>();
  #server = http.createServer((req, res) => {
    this.authorizations.push(req.headers['proxy-authorization']);
    this.forwarded.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  async start(): Promise<string> {
    this.#server.on('connection', (s: net.Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    this.#server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      this.authorizations.push(req.headers['proxy-authorization']);
      this.tunnels.push(req.url ?? '');
      if (this.refuseConnectWith !== undefined) {
        client.end(`HTTP/1.1 ${this.refuseConnectWith} Refused\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.#sockets.add(upstream);
      upstream.on('close', () => this.#sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
