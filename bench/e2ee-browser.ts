/**
 * Browser entry of the E2EE benchmark: `e2ee.ts` bundles this file for Chromium, loads it into a page and
 * calls it as `runE2eeBench` through `page.evaluate`. Progress goes to the console, which the page forwards.
 */
import { type E2eeScenarioOptions, type GroupResult, runE2eeScenarios } from './e2ee-scenarios';

declare global {
  var runE2eeBench: (options: E2eeScenarioOptions) => Promise<GroupResult[]>;
}

globalThis.runE2eeBench = (options) =>
  runE2eeScenarios(options, (message, data) => console.info(message, JSON.stringify(data)));
