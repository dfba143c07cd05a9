// A pod CIDR of a test run's own: a random /16 of 10.64.0.0/10, which neither Docker's default address pools,
// the lab (10.250.0.0/16) nor the runtime tests (10.199-10.231) use, so runs never meet each other's networks.
import { randomInt } from "node:crypto";

export function testPodCidr(): string {
  return `10.${64 + randomInt(64)}.0.0/16`;
}
