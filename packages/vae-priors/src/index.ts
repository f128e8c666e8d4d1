export { GaussianEncoder, BernoulliDecoder, diagonalNormalLogProb, noise, type NetworkOptions } from './networks.js';
export { standardGaussianPrior, mixtureOfGaussiansPrior, flowPrior, VampPrior } from './priors.js';
export { VAE, type ElboTerms, type ElboOptions } from './vae.js';
export { buildVAE, vaeFromJSON, registerVAE, PRIOR_KINDS, type PriorKind, type VAEOptions } from './build.js';
