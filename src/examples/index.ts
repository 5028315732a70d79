import { approval } from './approval.js';
import { documentPipeline } from './document-pipeline.js';
import { onboarding } from './onboarding.js';
import { orderFulfilment } from './order-fulfilment.js';
import { supportReply } from './support-reply.js';

export { approval, documentPipeline, onboarding, orderFulfilment, supportReply };
export { provisionAccount } from './onboarding.js';

/** The registry `weft dev` serves: key -> workflow. */
export const workflows = {
  'order-fulfilment': orderFulfilment,
  'document-pipeline': documentPipeline,
  'expense-approval': approval,
  onboarding,
  'support-reply': supportReply,
};
