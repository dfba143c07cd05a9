// A fake engine's bridge network: hands out the lowest free address, so the same starts in the same order
// get the same IPs, and takes addresses back when containers stop, as Docker does.
import { ipToNumber, numberToIp, parseSubnet, subnetAddress } from "../../ipv4.js";
import type { NetworkInfo } from "../../runtime.js";

export class FakeNetwork {
  readonly info: NetworkInfo;
  private readonly base: number;
  private readonly size: number;
  /** Offsets in use; the network address, the gateway and the broadcast address never go to a container. */
  private readonly used: Set<number>;

  constructor(name: string, subnet: string, gateway = subnetAddress(subnet, 1)) {
    const parsed = parseSubnet(subnet);
    this.info = { name, subnet, gateway };
    this.base = parsed.base;
    this.size = parsed.size;
    this.used = new Set([0, ipToNumber(gateway) - this.base, this.size - 1]);
  }

  /** The lowest free address, or undefined when the subnet is full. */
  allocate(): string | undefined {
    for (let offset = 1; offset < this.size - 1; offset++) {
      if (!this.used.has(offset)) {
        this.used.add(offset);
        return numberToIp(this.base + offset);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    this.used.delete(ipToNumber(ip) - this.base);
  }
}
