import { approval } from './approval.js';
import { documentPipeline } from './document-pipeline.js';
import { onboarding } from './onboarding.js';
import { orderFulfilment } from './order-fulfilment.js';

export { approval, documentPipeline, onboarding, orderFulfilment };
export { provisionAccount } from './onboarding.js';

/** The registry `weft dev` serves: key -> workflow. */
export const workflows = {
  'order-fulfilment': orderFulfilment,
  'document-pipeline': documentPipeline,
  'expense-approval': approval,
  onboarding,
};
