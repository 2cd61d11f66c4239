// Types only. The root tsconfig compiles e2e/ for Node, without the DOM lib, but the callbacks that
// e2e/browser.ts hands to page.evaluate, waitForFunction and addInitScript run inside Chromium.
// These narrow shapes type what those callbacks touch, without adding DOM globals to the Node build.

export interface PageElement {
  readonly id: string;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getAttribute(name: string): string | null;
}

export interface PageDocument {
  readonly body: PageElement;
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

export interface PageMutationRecord {
  readonly type: string;
  readonly target: unknown;
  readonly addedNodes: { readonly length: number };
}

export interface PageMutationObserverConstructor {
  new (callback: (records: PageMutationRecord[]) => void): {
    observe(target: unknown, options: { subtree?: boolean; childList?: boolean; attributes?: boolean; attributeFilter?: string[] }): void;
  };
}

/** What the e2e init script keeps on `window`. */
export interface E2eWindow {
  __e2eStates: { state: string; at: number }[];
  __e2eEchoes: number;
}
