import { chatAdapterContract } from './chat-adapter.contract.js';
import { createWebHarness } from './harnesses/web-harness.js';

chatAdapterContract({ name: 'web chat', reviews: false, createHarness: createWebHarness });
