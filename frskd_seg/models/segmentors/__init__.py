from .frskd_encoder_decoder import FRSKDEncoderDecoder

__all__ = ['FRSKDEncoderDecoder']
