import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatCpu, formatMemory, parseCpu, parseMemory } from "./quantity.js";

describe("parseMemory", () => {
  test("reads bytes, binary and decimal units", () => {
    assert.equal(parseMemory("1024"), 1024);
    assert.equal(parseMemory("128Mi"), 128 * 2 ** 20);
    assert.equal(parseMemory("1Gi"), 2 ** 30);
    assert.equal(parseMemory("1.5Gi"), 1.5 * 2 ** 30);
    assert.equal(parseMemory("2k"), 2000);
    assert.equal(parseMemory("1G"), 1e9);
  });

  test("rejects what is not a quantity", () => {
    for (const text of ["", "abc", "-1", "12MB", "1 Gi", "Gi", "1e3"])
      assert.equal(parseMemory(text), undefined, text);
  });
});

describe("parseCpu", () => {
  test("reads millicores with or without the m suffix", () => {
    assert.equal(parseCpu("500"), 500);
    assert.equal(parseCpu("250m"), 250);
  });

  test("rejects fractions and words", () => {
    for (const text of ["0.5", "1.5m", "half", "", "-100"]) assert.equal(parseCpu(text), undefined, text);
  });
});

describe("formatCpu and formatMemory", () => {
  test("whole cores print as cores, others as millicores", () => {
    assert.equal(formatCpu(2000), "2");
    assert.equal(formatCpu(1500), "1500m");
  });

  test("memory in the largest binary unit with one decimal at most", () => {
    assert.equal(formatMemory(512), "512");
    assert.equal(formatMemory(2048), "2Ki");
    assert.equal(formatMemory(8053063680), "7.5Gi");
    assert.equal(formatMemory(3 * 2 ** 40), "3Ti");
  });
});
