import { chatAdapterContract } from './chat-adapter.contract.js';
import { createSlackHarness } from './harnesses/slack-harness.js';

chatAdapterContract({ name: 'Slack', reviews: true, createHarness: createSlackHarness });
